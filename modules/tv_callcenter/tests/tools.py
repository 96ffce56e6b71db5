# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"What the module tests of every tvcc module share"
import contextlib

from trytond.transaction import Transaction


@contextlib.contextmanager
def as_client(user):
    """Run as a JSON-RPC call of user runs: RPC.convert sets _check_access,
    so access rights, record rules and the client guard apply"""
    transaction = Transaction()
    with transaction.set_user(int(user)), \
            transaction.set_context(_check_access=True):
        yield
