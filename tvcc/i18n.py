"""Keep the modules' zh_CN translations complete.

    python -m tvcc.i18n export [-d DATABASE]   refresh modules/*/locale/zh_CN.po
    python -m tvcc.i18n check                  list untranslated entries

export asks trytond for every translatable string of our modules (fields,
help texts, selections, menus, messages, views) and rewrites the .po files,
keeping the translations they already hold; check fails while any entry is
empty or fuzzy. Chinese is our users' language: nothing ships half-translated.
"""
import argparse
import subprocess
import sys

import polib

from . import settings
from .bootstrap import MODULES, tryton_env, venv_bin

LANGUAGE = 'zh_CN'


def po_path(module):
    return settings.PROJECT / 'modules' / module / 'locale' / f'{LANGUAGE}.po'


def untranslated(module):
    "Return the entries of module's .po that are empty or fuzzy"
    po = polib.pofile(str(po_path(module)))
    return [entry for entry in po
        if not entry.msgstr or 'fuzzy' in entry.flags or entry.obsolete]


def export(database):
    subprocess.run(
        [venv_bin('trytond-admin'), '-d', database, '-u', *MODULES,
            '-l', LANGUAGE, '--export-translations'],
        env=tryton_env(), check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=['export', 'check'])
    parser.add_argument('-d', '--database',
        default=settings.instance('run').database)
    args = parser.parse_args(argv)
    if args.action == 'export':
        export(args.database)
    missing = {module: untranslated(module) for module in MODULES}
    for module, entries in missing.items():
        for entry in entries:
            print(f'{module}: {entry.msgctxt} {entry.msgid!r}')
    return 1 if any(missing.values()) else 0


if __name__ == '__main__':
    sys.exit(main())
