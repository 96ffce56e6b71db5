"""Set everything up from nothing; running it again reuses what exists.

    python -m tvcc.bootstrap [--instance run|test] [STEP ...]

Steps, in order: sao, asterisk, database, config, modules, demo. Each step
says what it does and stops with one clear message when it cannot: nothing
is left half-made (a database is built under a temporary name and renamed
only once complete).
"""
import argparse
import glob
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from . import settings

MODULES = ['tv_callcenter', 'tv_orders', 'tv_logistics', 'tv_dialer']
SAO_VERSION = os.environ.get('TVCC_SAO_VERSION', '8.0')
PRIVATE_PG_PORT = int(os.environ.get('TVCC_PRIVATE_PG_PORT', 5433))
PRIVATE_PG_DATA = settings.VAR / 'pgdata'
STATE = settings.VAR / 'state'
ADMIN_EMAIL = 'admin@tvcc.example'


class SetupError(Exception):
    "A set-up step failed; the message names what and what to do"


def say(message):
    print(f'[setup] {message}', flush=True)


def venv_bin(name):
    return str(Path(sys.executable).parent / name)


def run(cmd, **kwargs):
    kwargs.setdefault('check', True)
    try:
        return subprocess.run(cmd, **kwargs)
    except subprocess.CalledProcessError as error:
        raise SetupError(
            f'command failed (exit {error.returncode}): '
            f'{" ".join(map(str, cmd))}') from None


# --- sao web client -----------------------------------------------------

def install_sao():
    "npm package tryton-sao with its runtime libraries, plus our custom.js"
    target = settings.SAO_ROOT
    stamp = target.parent / '.tvcc-sao'
    wanted = SAO_VERSION
    if not (stamp.exists() and stamp.read_text().strip() == wanted
            and (target / 'dist' / 'tryton-sao.js').exists()
            and (target / 'node_modules').exists()):
        if shutil.which('npm') is None:
            raise SetupError(
                'npm is not installed: apt-get install npm (Node.js 18+).')
        say(f'installing sao (npm tryton-sao@{wanted})')
        work = Path(tempfile.mkdtemp(prefix='sao-', dir=settings.VAR))
        try:
            run(['npm', 'pack', '--silent', f'tryton-sao@{wanted}'],
                cwd=work, stdout=subprocess.DEVNULL)
            archive, = work.glob('tryton-sao-*.tgz')
            with tarfile.open(archive) as tar:
                tar.extractall(work, filter='data')
            run(['npm', 'install', '--omit=dev', '--legacy-peer-deps',
                    '--no-audit', '--no-fund', '--loglevel=error'],
                cwd=work / 'package', stdout=subprocess.DEVNULL)
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            (work / 'package').rename(target)
            stamp.write_text(wanted + '\n')
        finally:
            shutil.rmtree(work, ignore_errors=True)
    install_jssip(target)
    for name in ['custom.js', 'custom.css', 'softphone.js', 'dial.js',
            'callcontrol.js']:
        link = target / name
        source = settings.PROJECT / 'web' / name
        if link.is_symlink() or link.exists():
            if link.resolve() == source:
                continue
            link.unlink()
        link.symlink_to(source)
    say(f'sao ready in {target}')


# 3.13: the ACK of a re-INVITE sent by the callee's side (hold, resume
# after an incoming call) has the re-INVITE's CSeq (3.10 reused the initial
# INVITE's: Asterisk never matched it and refused the next re-INVITE).
JSSIP_VERSION = os.environ.get('TVCC_JSSIP_VERSION', '3.13.8')
# Only a build tool: JsSIP's npm package has no browser bundle (its dist/
# is built from the sources), esbuild makes one (window.JsSIP).
ESBUILD_VERSION = os.environ.get('TVCC_ESBUILD_VERSION', '0.24.2')


def install_jssip(web_root):
    """JsSIP (the browser phone's SIP stack) from npm, bundled into
    <web root>/jssip/jssip.min.js, which web/custom.js loads"""
    folder = web_root / 'jssip'
    stamp = folder / '.tvcc-jssip'
    wanted = f'{JSSIP_VERSION} esbuild {ESBUILD_VERSION}'
    if (stamp.exists() and stamp.read_text().strip() == wanted
            and (folder / 'jssip.min.js').exists()):
        return
    if shutil.which('npm') is None:
        raise SetupError(
            'npm is not installed: apt-get install npm (Node.js 18+).')
    say(f'installing the browser phone library (npm jssip@{JSSIP_VERSION})')
    settings.VAR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix='jssip-', dir=settings.VAR))
    try:
        (work / 'package.json').write_text('{"private": true}\n')
        (work / 'entry.js').write_text("module.exports = require('jssip');\n")
        run(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error',
                f'jssip@{JSSIP_VERSION}', f'esbuild@{ESBUILD_VERSION}'],
            cwd=work, stdout=subprocess.DEVNULL)
        run([str(work / 'node_modules' / '.bin' / 'esbuild'), 'entry.js',
                '--bundle', '--format=iife', '--global-name=JsSIP',
                '--platform=browser', '--target=es2017', '--minify',
                '--log-level=warning', '--outfile=jssip.min.js'],
            cwd=work, stdout=subprocess.DEVNULL)
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(work / 'jssip.min.js', folder / 'jssip.min.js')
        for license in (work / 'node_modules' / 'jssip').glob('LICENSE*'):
            shutil.copy(license, folder / 'LICENSE')
        stamp.write_text(wanted + '\n')
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- Asterisk -----------------------------------------------------------

def build_asterisk():
    run([sys.executable, str(settings.PROJECT / 'asterisk' / 'runtime.py'),
            'build'])


# --- PostgreSQL ---------------------------------------------------------

def _connect(uri, dbname='postgres', timeout=3):
    import psycopg
    from urllib.parse import urlparse
    parsed = urlparse(uri)
    return psycopg.connect(
        host=parsed.hostname or None, port=parsed.port or 5432,
        user=parsed.username or 'postgres', password=parsed.password,
        dbname=dbname, connect_timeout=timeout, autocommit=True)


def _port_open(host, port):
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) == 0


def database_uri():
    "Return the PostgreSQL URI to use, starting a private cluster if needed"
    import psycopg
    uri = os.environ.get('TVCC_DATABASE_URI')
    if uri:
        try:
            _connect(uri).close()
        except psycopg.Error as error:
            raise SetupError(
                f'PostgreSQL at TVCC_DATABASE_URI={uri} is unreachable: '
                f'{str(error).strip()}. Start it or fix the URI.') from None
        return uri
    if not os.environ.get('TVCC_PRIVATE_PG') and _port_open('127.0.0.1', 5432):
        uri = 'postgresql://postgres@127.0.0.1:5432/'
        try:
            _connect(uri).close()
        except psycopg.Error as error:
            raise SetupError(
                'PostgreSQL on 127.0.0.1:5432 refused user "postgres" '
                f'({str(error).strip()}). Allow it (trust or password) or '
                'set TVCC_DATABASE_URI=postgresql://USER:PASSWORD@HOST:PORT/'
                ) from None
        return uri
    return private_cluster()


def _is_superuser(uri):
    with _connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute('SELECT rolsuper FROM pg_roles '
            'WHERE rolname = current_user')
        row = cursor.fetchone()
        return bool(row and row[0])


def application_uri(admin_uri):
    """The URI trytond and the bridge use: the role settings.DATABASE_ROLE,
    which owns the instances' databases and is no superuser (created here
    with a generated password). An admin URI that is no superuser is used
    as it is: the operator chose that role."""
    from urllib.parse import quote, urlparse
    if not _is_superuser(admin_uri):
        return admin_uri
    role = settings.DATABASE_ROLE
    password = settings.secret(settings.DATABASE_ROLE_SECRET)
    with _connect(admin_uri) as connection, connection.cursor() as cursor:
        cursor.execute('SELECT 1 FROM pg_roles WHERE rolname = %s', (role,))
        verb = 'ALTER' if cursor.fetchone() else 'CREATE'
        # Identifiers cannot be parameters; the password can be a literal.
        statement = (f'{verb} ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB '
            'NOCREATEROLE PASSWORD {}')
        from psycopg import sql
        cursor.execute(sql.SQL(statement).format(sql.Literal(password)))
    parsed = urlparse(admin_uri)
    host = parsed.hostname or '127.0.0.1'
    port = parsed.port or 5432
    return f'postgresql://{quote(role)}:{quote(password)}@{host}:{port}/'


def _pg_bin(name):
    found = sorted(glob.glob(f'/usr/lib/postgresql/*/bin/{name}'))
    return found[-1] if found else None


def private_cluster():
    "A PostgreSQL cluster in var/pgdata on 127.0.0.1:5433, owned by postgres"
    uri = f'postgresql://postgres@127.0.0.1:{PRIVATE_PG_PORT}/'
    if _pg_bin('initdb') is None:
        if os.geteuid() != 0:
            raise SetupError(
                'No PostgreSQL server on 127.0.0.1:5432 and no PostgreSQL '
                'binaries to start a private one: apt-get install postgresql '
                '(as root) or set TVCC_DATABASE_URI.')
        say('no PostgreSQL reachable: installing Debian\'s postgresql')
        run(['apt-get', 'install', '-y', '-q', '--no-install-recommends',
                'postgresql'], env={**os.environ,
                'DEBIAN_FRONTEND': 'noninteractive'},
            stdout=subprocess.DEVNULL)
    try:
        owner = pwd.getpwnam('postgres')
    except KeyError:
        raise SetupError('user "postgres" does not exist: install '
            'postgresql-common (apt-get install postgresql)') from None

    def as_postgres(cmd, **kwargs):
        if os.geteuid() == 0:
            cmd = ['runuser', '-u', 'postgres', '--', *cmd]
        return run(cmd, **kwargs)

    if not (PRIVATE_PG_DATA / 'PG_VERSION').exists():
        say(f'creating a private PostgreSQL cluster in {PRIVATE_PG_DATA}')
        shutil.rmtree(PRIVATE_PG_DATA, ignore_errors=True)
        PRIVATE_PG_DATA.mkdir(parents=True)
        os.chown(PRIVATE_PG_DATA, owner.pw_uid, owner.pw_gid)
        try:
            as_postgres([_pg_bin('initdb'), '-D', str(PRIVATE_PG_DATA),
                    '-U', 'postgres', '--auth=trust', '-E', 'UTF8',
                    '--locale=C.UTF-8'], stdout=subprocess.DEVNULL)
        except SetupError:
            shutil.rmtree(PRIVATE_PG_DATA, ignore_errors=True)
            raise
    if not _port_open('127.0.0.1', PRIVATE_PG_PORT):
        settings.LOG.mkdir(parents=True, exist_ok=True)
        log = settings.LOG / 'postgresql.log'
        log.touch()
        os.chown(log, owner.pw_uid, owner.pw_gid)
        say(f'starting the private PostgreSQL on 127.0.0.1:{PRIVATE_PG_PORT}')
        as_postgres([_pg_bin('pg_ctl'), '-D', str(PRIVATE_PG_DATA), '-l',
                str(log), '-w', '-t', '60', '-o',
                f'-p {PRIVATE_PG_PORT} -c listen_addresses=127.0.0.1 '
                '-k /tmp', 'start'], stdout=subprocess.DEVNULL)
    return uri


def stop_private_cluster():
    if (PRIVATE_PG_DATA / 'postmaster.pid').exists() and _pg_bin('pg_ctl'):
        cmd = [_pg_bin('pg_ctl'), '-D', str(PRIVATE_PG_DATA), '-m', 'fast',
            '-w', 'stop']
        if os.geteuid() == 0:
            cmd = ['runuser', '-u', 'postgres', '--', *cmd]
        subprocess.run(cmd, stdout=subprocess.DEVNULL)


# --- trytond configuration ----------------------------------------------

def write_config(uri):
    "var/trytond.conf for this machine (the repo's trytond.conf is a sample)"
    text = f"""# Generated by tvcc.bootstrap for this checkout; do not commit.
[database]
uri = {uri}
path = {settings.VAR / 'filestore'}
language = en
# The login page shows only the database this server serves (web/custom.js
# asks /tvcc/databases), never the server's test databases.
list = False

[web]
# listen comes from TRYTOND_WEB__LISTEN (make run sets 127.0.0.1:8000): an
# option in this file would override the environment for every instance.
root = {settings.SAO_ROOT}

[bus]
allow_subscribe = True
# A new session gets only what is published from now on (no old pops).
class = tvcc.bus.FreshBus

[password]
length = 8

[session]
max_age = 86400
"""
    settings.TRYTOND_CONF.parent.mkdir(parents=True, exist_ok=True)
    if (not settings.TRYTOND_CONF.exists()
            or settings.TRYTOND_CONF.read_text() != text):
        settings.TRYTOND_CONF.write_text(text)
        say(f'wrote {settings.TRYTOND_CONF}')
    # It holds the database role's password.
    os.chmod(settings.TRYTOND_CONF, 0o600)
    return settings.TRYTOND_CONF


def configured_uri():
    "The database URI trytond and the bridge use (var/trytond.conf)"
    import configparser
    config = configparser.ConfigParser()
    config.read(settings.TRYTOND_CONF)
    return config.get('database', 'uri')


def tryton_env():
    return {**os.environ, 'TRYTOND_CONFIG': str(settings.TRYTOND_CONF)}


# --- databases ----------------------------------------------------------

def source_signature():
    "Hash of everything that changes a database's schema or demo content"
    digest = hashlib.sha256()
    paths = sorted((settings.PROJECT / 'modules').rglob('*')) + [
        settings.PROJECT / 'tvcc' / name
        for name in ['demo.py', 'demo_data.py', 'demo_history.py', 'phone.py',
            'settings.py']]
    for path in paths:
        if path.is_file() and '__pycache__' not in path.parts:
            digest.update(str(path.relative_to(settings.PROJECT)).encode())
            digest.update(path.read_bytes())
    from trytond import __version__
    digest.update(__version__.encode())
    return digest.hexdigest()[:16]


def _admin_connection(uri):
    return _connect(uri)


def database_exists(uri, name):
    with _admin_connection(uri) as connection, connection.cursor() as cursor:
        cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
        return bool(cursor.fetchone())


def database_comment(uri, name):
    with _admin_connection(uri) as connection, connection.cursor() as cursor:
        cursor.execute(
            'SELECT shobj_description(oid, \'pg_database\') '
            'FROM pg_database WHERE datname = %s', (name,))
        row = cursor.fetchone()
        return row[0] if row else None


def execute_admin(uri, *statements):
    connection = _admin_connection(uri)
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


# Trigram indexes make "any fragment of a phone number" and order number
# searches use an index among millions of rows (Tryton creates GIN trigram
# indexes for its Similarity indexes when pg_trgm is there). No unaccent:
# Chinese and digits need none, and a non-immutable unaccent() would stop
# those indexes from being used.
EXTENSIONS = ['pg_trgm']


def ensure_extensions(uri, name):
    with _connect(uri, dbname=name) as connection:
        for extension in EXTENSIONS:
            connection.execute(f'CREATE EXTENSION IF NOT EXISTS {extension}')


def application_role(uri):
    "The role of the application URI (trytond.conf)"
    from urllib.parse import unquote, urlparse
    return unquote(urlparse(uri).username or 'postgres')


# Tables first: a sequence that belongs to a column follows its table.
OWNED_OBJECTS = """
SELECT c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    AND pg_get_userbyid(c.relowner) <> %s
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid
        AND d.deptype IN ('a', 'i', 'e'))
ORDER BY c.relkind = 'S'
"""
KINDS = {'r': 'TABLE', 'p': 'TABLE', 'v': 'VIEW', 'm': 'MATERIALIZED VIEW',
    'S': 'SEQUENCE'}


def ensure_owner(admin_uri, name, role):
    """The database and its tables belong to role (databases made before
    trytond had a role of its own belonged to the superuser)"""
    if role == application_role(admin_uri):
        return
    execute_admin(admin_uri, f'ALTER DATABASE "{name}" OWNER TO "{role}"')
    with _connect(admin_uri, dbname=name) as connection, \
            connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA public OWNER TO "{role}"')
        cursor.execute(OWNED_OBJECTS, (role,))
        for kind, relation in cursor.fetchall():
            cursor.execute(f'ALTER {KINDS[kind]} {relation} OWNER TO "{role}"')


def drop_database(uri, name):
    execute_admin(uri, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(settings.VAR / 'filestore' / name, ignore_errors=True)


def move_filestore(source, target):
    """Files (prompt audio...) stored while the database was source follow
    it when it is renamed target: trytond keeps them per database name"""
    store = settings.VAR / 'filestore'
    if not (store / source).exists():
        return
    for path in sorted((store / source).rglob('*')):
        if path.is_file():
            destination = store / target / path.relative_to(store / source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)
    shutil.rmtree(store / source, ignore_errors=True)


def trytond_admin(database, inst, *args):
    """trytond-admin on database; -p sets admin's password to the
    instance's (generated for make run, never the published demo one)"""
    settings.LOG.mkdir(parents=True, exist_ok=True)
    log = settings.LOG / f'trytond-admin-{database}.log'
    with tempfile.NamedTemporaryFile('w', dir=settings.RUN.parent,
            prefix='.adminpass', delete=True) as passfile:
        passfile.write(inst.admin_password() + '\n')
        passfile.flush()
        env = {**tryton_env(), 'TRYTONPASSFILE': passfile.name}
        with open(log, 'w') as out:
            result = subprocess.run(
                [venv_bin('trytond-admin'), '-d', database, *args],
                env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode:
        tail = log.read_text(errors='replace').splitlines()[-6:]
        raise SetupError(
            f'trytond-admin failed on database "{database}":\n  '
            + '\n  '.join(tail) + f'\nFull log: {log}')


def load_demo(database, inst):
    log = settings.LOG / f'demo-{database}.log'
    with open(log, 'w') as out:
        result = subprocess.run(
            [sys.executable, '-m', 'tvcc.demo', '-d', database,
                '--instance', inst.name],
            env=tryton_env(), stdout=out, stderr=subprocess.STDOUT)
    if result.returncode:
        tail = log.read_text(errors='replace').splitlines()[-8:]
        raise SetupError(
            f'loading demo data into "{database}" failed:\n  '
            + '\n  '.join(tail) + f'\nFull log: {log}')


def ensure_database(uri, inst, demo=True, role='postgres'):
    """Create (atomically) or update the instance's database, owned by role
    (uri: a superuser's)"""
    name = inst.database
    signature = f'tvcc:{source_signature()}'
    modules_args = ['-u', *MODULES, '--activate-dependencies', '-l', 'zh_CN',
        '-p']
    building = f'{name}__building'
    drop_database(uri, building)
    if not database_exists(uri, name):
        say(f'creating database "{name}" (about a minute on PostgreSQL)')
        started = time.monotonic()
        execute_admin(uri,
            f'CREATE DATABASE "{building}" OWNER "{role}" '
            'ENCODING \'UTF8\' TEMPLATE template0')
        try:
            ensure_extensions(uri, building)
            trytond_admin(building, inst, '--all', *modules_args,
                '--email', ADMIN_EMAIL)
            if demo:
                load_demo(building, inst)
            execute_admin(uri,
                f'COMMENT ON DATABASE "{building}" IS \'{signature}\'',
                f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            move_filestore(building, name)
        except BaseException:
            drop_database(uri, building)
            raise
        say('database "%s" ready in %.0f s' % (
                name, time.monotonic() - started))
        return
    current = database_comment(uri, name) or ''
    if not current.startswith('tvcc:'):
        raise SetupError(
            f'Database "{name}" exists but was not made by this project. '
            f'Drop it (dropdb -h 127.0.0.1 -U postgres {name}) or choose '
            f'another name with TVCC_{inst.name.upper()}_DATABASE.')
    ensure_owner(uri, name, role)
    if current == signature:
        say(f'database "{name}" is up to date')
        return
    say(f'updating database "{name}" (modules changed)')
    ensure_extensions(uri, name)
    trytond_admin(name, inst, *modules_args)
    if demo:
        load_demo(name, inst)
    execute_admin(uri, f'COMMENT ON DATABASE "{name}" IS \'{signature}\'')
    say(f'database "{name}" updated')


def drop_test_caches(uri):
    """Drop the ModuleTestCase caches when the sources changed.

    Tryton keys its cached test databases by module names only, so after a
    model or XML change they would be stale.
    """
    signature = source_signature()
    stamp = STATE / 'test-cache.signature'
    with _admin_connection(uri) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%%' "
            "OR (datname LIKE 'test-%%' AND %s)",
            (not stamp.exists() or stamp.read_text().strip() != signature,))
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        drop_database(uri, name)
    if names:
        say(f'dropped {len(names)} cached test database(s)')
    STATE.mkdir(parents=True, exist_ok=True)
    stamp.write_text(signature + '\n')


STEPS = ['sao', 'asterisk', 'database']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--instance', default='run',
        choices=settings.INSTANCES)
    parser.add_argument('steps', nargs='*', metavar='STEP',
        help="any of: " + ', '.join(STEPS + ['test-caches', 'uri']))
    args = parser.parse_args(argv)
    args.steps = args.steps or STEPS
    unknown = set(args.steps) - set(STEPS + ['test-caches', 'uri'])
    if unknown:
        parser.error(f'unknown step(s): {", ".join(sorted(unknown))}')
    inst = settings.instance(args.instance)
    for folder in [settings.VAR, settings.LOG, settings.RUN, STATE]:
        folder.mkdir(parents=True, exist_ok=True)
    try:
        if 'sao' in args.steps:
            install_sao()
        if 'asterisk' in args.steps:
            build_asterisk()
        uri = None
        if {'database', 'test-caches', 'uri'} & set(args.steps):
            uri = database_uri()
            application = application_uri(uri)
            write_config(application)
            inst.ami_secret()
        if 'database' in args.steps:
            ensure_database(uri, inst, role=application_role(application))
        if 'test-caches' in args.steps:
            drop_test_caches(uri)
        if 'uri' in args.steps:
            print(uri)
    except SetupError as error:
        print(f'[setup] ERROR: {error}', file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
