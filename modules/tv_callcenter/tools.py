# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"What the tvcc modules share beyond models"
from trytond.transaction import Transaction


def forget_cached(Model, ids=None):
    """After rows of Model were changed in SQL (bulk updates): like
    ModelSQL.write, records read before see the new values (those of ids,
    or all of them)"""
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if ids is None:
            cache.pop(Model.__name__, None)
        elif Model.__name__ in cache:
            for id_ in ids:
                cache[Model.__name__].pop(id_, None)
