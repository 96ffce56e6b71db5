"""Validate docker-compose.yml on a machine without a Docker engine.

    python -m tvcc.compose_check

Loads the YAML, checks that every build context, Dockerfile, mounted file
template and secret the services use is declared or present, and runs
`docker compose config` when the compose plugin exists. Prints what it could
check and what it could not.
"""
import shutil
import subprocess
import sys

import yaml

from . import settings

COMPOSE = settings.PROJECT / 'docker-compose.yml'
EXPECTED_SERVICES = {
    'postgres', 'trytond', 'trytond-cron', 'trytond-worker', 'bridge',
    'asterisk'}


def problems():
    found = []
    config = yaml.safe_load(COMPOSE.read_text())
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
