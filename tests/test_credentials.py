"""Credentials: make run's admin password is generated per installation and
printed once; trytond and the bridge connect as a PostgreSQL role that is no
superuser and owns what they use."""
import stat

from tvcc import settings, supervisor
from tvcc.bootstrap import _connect, configured_uri


def test_make_runs_admin_password_is_generated_and_printed_once(
        tmp_path, monkeypatch):
    path = tmp_path / 'secrets' / 'admin-run.secret'
    monkeypatch.setenv('TVCC_RUN_ADMIN_SECRET_FILE', str(path))
    run = settings.instance('run')

    first = '\n'.join(supervisor.admin_lines(run))
    password = path.read_text().strip()
    assert password in first
    assert password != settings.DEMO_PASSWORD and len(password) >= 24
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    again = '\n'.join(supervisor.admin_lines(run))
    assert password not in again
    assert str(path) in again
    # The same installation keeps its password.
    assert run.admin_password() == password
    # The test instance, whose tests log in as admin, keeps the demo one.
    assert settings.instance('test').admin_password() == (
        settings.DEMO_PASSWORD)


def test_trytond_connects_as_a_role_that_is_no_superuser(tryton, instance):
    uri = configured_uri()
    assert stat.S_IMODE(settings.TRYTOND_CONF.stat().st_mode) == 0o600
    with _connect(uri, dbname=instance.database) as connection, \
            connection.cursor() as cursor:
        cursor.execute('SELECT current_user, rolsuper, rolcreatedb, '
            'rolcreaterole FROM pg_roles WHERE rolname = current_user')
        user, *powers = cursor.fetchone()
        assert user == settings.DATABASE_ROLE
        assert powers == [False, False, False]
        # It owns the database and every table trytond made.
        cursor.execute('SELECT pg_get_userbyid(datdba) FROM pg_database '
            'WHERE datname = current_database()')
        assert cursor.fetchone()[0] == user
        cursor.execute("SELECT count(*) FROM pg_tables "
            "WHERE schemaname = 'public' AND tableowner <> current_user")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_tables "
            "WHERE schemaname = 'public'")
        assert cursor.fetchone()[0] > 100
