"""Validate docker-compose.yml on a machine without a Docker engine.

    python -m tvcc.compose_check

Loads the YAML, checks that every build context, Dockerfile, mounted file
template and secret the services use is declared or present, that no
service but PostgreSQL uses its superuser (the official image makes
POSTGRES_USER one: the others connect as the role the init script
creates, which is no superuser), and runs `docker compose config` when
the compose plugin exists. Prints what it could check and what it could
not.
"""
import re
import shutil
import subprocess
import sys
from urllib.parse import urlparse

import yaml

from . import settings

COMPOSE = settings.PROJECT / 'docker-compose.yml'
EXPECTED_SERVICES = {
    'postgres', 'trytond', 'trytond-cron', 'trytond-worker', 'bridge',
    'asterisk'}


POSTGRES_INIT = '/docker-entrypoint-initdb.d'
# What the init script must say about the role it creates.
ROLE_GRANTS = ('LOGIN', 'NOSUPERUSER', 'NOCREATEDB', 'NOCREATEROLE')


def environment(service):
    "A service's environment as a dict (compose allows a list of K=V)"
    env = service.get('environment') or {}
    if isinstance(env, list):
        env = dict(item.partition('=')[::2] for item in env)
    return {key: '' if value is None else str(value)
        for key, value in env.items()}


def database_problems(services, project):
    "The superuser stays PostgreSQL's; everyone else is the tvcc role"
    found = []
    postgres = services.get('postgres')
    if not postgres:
        return found
    env = environment(postgres)
    superuser = env.get('POSTGRES_USER') or 'postgres'
    role = env.get('TVCC_DB_ROLE')
    if not role:
        found.append('postgres: no TVCC_DB_ROLE (the role the other '
            'services connect as)')
    elif role == superuser:
        found.append(f'postgres: TVCC_DB_ROLE {role} is the superuser '
            '(POSTGRES_USER)')
    if env.get('POSTGRES_PASSWORD'):
        found.append('postgres: POSTGRES_PASSWORD in clear (use '
            'POSTGRES_PASSWORD_FILE and a secret)')
    superuser_secrets = {secret for secret in postgres.get('secrets', [])
        if env.get('POSTGRES_PASSWORD_FILE', '').endswith('/' + secret)}
    scripts = []
    for volume in postgres.get('volumes', []):
        source, _, target = volume.partition(':')
        if target.split(':')[0].rstrip('/') == POSTGRES_INIT:
            folder = project / source
            scripts += sorted(folder.glob('*.sh')) + sorted(
                folder.glob('*.sql')) if folder.is_dir() else []
    text = '\n'.join(path.read_text() for path in scripts)
    if not scripts:
        found.append(f'postgres: no init script mounted in {POSTGRES_INIT} '
            '(the image would leave the superuser as the only role)')
    elif not re.search(r'CREATE ROLE\b[^;]*' + r'\b[^;]*'.join(
            ROLE_GRANTS), text, re.S):
        found.append('postgres: the init script does not create a role '
            + ' '.join(ROLE_GRANTS))
    elif 'OWNER' not in text:
        found.append('postgres: the init script does not make the role '
            'owner of the database')
    for name, service in services.items():
        if name == 'postgres':
            continue
        service_env = environment(service)
        for key, value in service_env.items():
            if key.endswith('DATABASE__URI') or key == 'DATABASE_URL':
                user = urlparse(value).username
                if user in {superuser, None}:
                    found.append(f'{name}: {key} connects as '
                        f'{user or "the default user"}, the superuser: '
                        f'use {role or "the application role"}')
                elif role and user != role:
                    found.append(f'{name}: {key} connects as {user}, not '
                        f'{role}')
        if service_env.get('PGUSER') == superuser:
            found.append(f'{name}: PGUSER is the superuser {superuser}')
        for secret in service.get('secrets', []):
            if secret in superuser_secrets:
                found.append(f'{name}: has the superuser\'s password '
                    f'(secret {secret})')
    return found


# The users the images run as; secrets are mounted with the host file's
# owner and mode, so each must be the file of the user that reads it.
POSTGRES_UID = 999          # the official postgres image's postgres
ASTERISK_VOLUME_TARGET = '/srv/tvcc'


def _dockerfile(service, project):
    build = service.get('build') or {}
    path = project / build.get('context', '.') / build.get(
        'dockerfile', 'Dockerfile')
    return path.read_text() if path.exists() else ''


def _image_user(dockerfile):
    """(user, uid, supplementary gids by group name, group ids) a
    Dockerfile creates and runs as"""
    users = re.findall(r'^USER\s+(\S+)', dockerfile, re.M)
    user = users[-1] if users else 'root'
    groups = {name: int(gid) for gid, name in re.findall(
            r'groupadd\s+(?:--system\s+)?--gid\s+(\d+)\s+(\w+)', dockerfile)}
    uid = None
    member_of = set()
    for match in re.finditer(r'useradd\s+([^&]*?)\b(\w+)\s*(?:$|&&)',
            dockerfile, re.M | re.S):
        options, name = match.groups()
        if name != user:
            continue
        found = re.search(r'--uid\s+(\d+)', options)
        uid = int(found.group(1)) if found else None
        extra = re.search(r'--groups\s+(\S+)', options)
        member_of = set(extra.group(1).split(',')) if extra else set()
    return user, uid, member_of, groups


def _mounts(service):
    for volume in service.get('volumes', []):
        source, _, rest = volume.partition(':')
        yield source, rest.split(':')[0]


def deployment_problems(config, text, project=settings.PROJECT):
    """What would keep the containers from starting or working: the users
    the images run as, who owns the volumes they write and the secrets they
    read, the Asterisk folder the bridge shares"""
    found = []
    services = config.get('services', {})
    asterisk = services.get('asterisk') or {}
    bridge = services.get('bridge') or {}
    tryton_file = _dockerfile(bridge, project)
    user, uid, member_of, tryton_groups = _image_user(tryton_file)
    _, _, _, asterisk_groups = _image_user(
        _dockerfile(asterisk, project) + '\nUSER asterisk\n')
    if user == 'root' or uid is None:
        found.append('tryton image: runs as root or as a user without a '
            'fixed uid (useradd --uid)')
    if 'asterisk' not in member_of or tryton_groups.get('asterisk') != \
            asterisk_groups.get('asterisk'):
        found.append('tryton image: its user is not in the asterisk group '
            'of the Asterisk image (same gid): the bridge cannot read '
            "Asterisk's logs and recordings")
    if environment(asterisk).get('TVCC_BRIDGE_UID') != str(uid):
        found.append(f'asterisk: TVCC_BRIDGE_UID is not {uid}, the uid of '
            'the bridge: it cannot write the configuration it renders')
    shared = {source for source, target in _mounts(asterisk)
        if target == ASTERISK_VOLUME_TARGET}
    if not shared or not any(source in shared and target ==
            ASTERISK_VOLUME_TARGET for source, target in _mounts(bridge)):
        found.append(f'bridge: does not mount the Asterisk volume at '
            f'{ASTERISK_VOLUME_TARGET} (its configuration, logs and '
            'recordings)')
    header = COMPOSE_HEADER.findall(text)
    chowns = {}
    for owner, files in re.findall(
            r'chown\s+(\d+):\d+\s+(.*)', '\n'.join(header)):
        for name in files.split():
            chowns[name.split('/')[-1]] = int(owner)
    declared = config.get('secrets', {})
    for name, service in services.items():
        image_uid = POSTGRES_UID if name == 'postgres' else (
            0 if name == 'asterisk' else uid)
        for secret in service.get('secrets', []):
            source = (declared.get(secret) or {}).get('file', '')
            owner = chowns.get(source.split('/')[-1])
            if image_uid and owner != image_uid:
                found.append(f'{name}: secret {secret} ({source}) is not '
                    f'given to uid {image_uid} in the first-start commands '
                    '(mounted 0600, the service could not read it)')
        if _dockerfile(service, project) == tryton_file and tryton_file:
            owned = set(re.findall(r'chown\s+' + re.escape(user)
                    + r':\S+\s+([^&\n]+)', tryton_file))
            owned = {p for line in owned for p in line.split()}
            for source, target in _mounts(service):
                if not source.startswith(('.', '/')) and target not in \
                        owned and target != ASTERISK_VOLUME_TARGET:
                    found.append(f'{name}: volume {source} at {target} '
                        f'is not made {user}\'s in the image: it could not '
                        'write there')
    return found


COMPOSE_HEADER = re.compile(r'^#(.*)$', re.M)


def problems(compose=None):
    compose = compose or COMPOSE
    found = []
    config = yaml.safe_load(compose.read_text())
    services = config.get('services', {})
    missing = EXPECTED_SERVICES - set(services)
    if missing:
        found.append(f'services missing: {", ".join(sorted(missing))}')
    declared_secrets = set(config.get('secrets', {}))
    declared_volumes = set(config.get('volumes', {}))
    for name, service in services.items():
        build = service.get('build')
        if build:
            dockerfile = settings.PROJECT / build.get('context', '.') / \
                build.get('dockerfile', 'Dockerfile')
            if not dockerfile.exists():
                found.append(f'{name}: no {dockerfile}')
        for secret in service.get('secrets', []):
            if secret not in declared_secrets:
                found.append(f'{name}: secret {secret} is not declared')
        for volume in service.get('volumes', []):
            source = volume.split(':', 1)[0]
            if not source.startswith(('.', '/')) \
                    and source not in declared_volumes:
                found.append(f'{name}: volume {source} is not declared')
        if name in {'asterisk', 'bridge'} and \
                service.get('network_mode') != 'host':
            found.append(f'{name}: needs network_mode host (AMI/FastAGI on '
                'the host loopback)')
    found += database_problems(services, compose.parent)
    found += deployment_problems(config, compose.read_text())
    return found


def main():
    found = problems()
    for problem in found:
        print(f'docker-compose.yml: {problem}')
    if shutil.which('docker') and subprocess.run(
            ['docker', 'compose', 'version'], capture_output=True
            ).returncode == 0:
        result = subprocess.run(
            ['docker', 'compose', '-f', str(COMPOSE), 'config', '--quiet'],
            capture_output=True, text=True)
        print('docker compose config:', 'ok' if result.returncode == 0
            else result.stderr.strip())
        if result.returncode:
            found.append('docker compose config failed')
    else:
        print('docker compose plugin not available: checked the YAML and '
            'the files it references only')
    if not found:
        print('docker-compose.yml: ok')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
