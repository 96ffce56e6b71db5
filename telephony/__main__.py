"""Run the telephony bridge: python -m telephony -c trytond.conf -d DB."""
import argparse
import asyncio
import logging
import os
import sys

log = logging.getLogger('telephony')


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m telephony',
        description="Telephony bridge between Asterisk and Tryton")
    parser.add_argument('-c', '--config',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="trytond configuration file (default: $TRYTOND_CONFIG)")
    parser.add_argument('-d', '--database', required=True,
        help="Tryton database name")
    parser.add_argument('--node',
        help="code of the Asterisk node to serve (default: the only one)")
    parser.add_argument('-v', '--verbose', action='count', default=0)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    if args.verbose < 2:
        logging.getLogger('panoramisk').setLevel(logging.WARNING)

    # The configuration must be read before anything imports trytond's
    # backend (routing imports Tryton model code).
    from trytond import config
    if args.config:
        config.update_etc(args.config)
    from .database import DatabaseUnavailable, TrytonDatabase
    from .node import NodeError, read_node
    from .service import Bridge, BridgeError

    database = TrytonDatabase(args.database, args.config)
    try:
        database.init()
        node = database.call(read_node, args.node, readonly=True)
        # Fail now, with their reason, if unreadable.
        node.ami_secret
        node.agi_token
    except (DatabaseUnavailable, NodeError) as error:
        log.error('cannot start: %s', error)
        return 2
    try:
        asyncio.run(Bridge(node, database).run())
    except BridgeError as error:
        log.error('stopped: %s', error)
        return 3
    finally:
        database.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
