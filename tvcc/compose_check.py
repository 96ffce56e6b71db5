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
