"""Access to the Tryton database from the bridge's asyncio loop.

The ORM is synchronous: every call runs in a worker thread inside its own
transaction, so the event loop never waits on PostgreSQL.
"""
import asyncio
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

RETRIES = 5


class DatabaseUnavailable(Exception):
    "The Tryton database cannot be reached or is not initialised"


class TrytonDatabase:

    def __init__(self, name, config_file=None, workers=4):
        self.name = name
        self.config_file = config_file
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='tryton')
        # Callers waiting in the IVR never queue behind event ingestion.
        self._urgent = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix='tryton-urgent')
        self._pool = None

    def init(self):
        "Load the configuration and the pool (blocking; call once)"
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        pool = Pool(self.name)
        try:
            pool.init()
            with Transaction().start(self.name, 0, readonly=True):
                pool.get('callcenter.node')
        except KeyError as error:
            raise DatabaseUnavailable(
                f'database "{self.name}" has no model {error}: activate the '
                'tv_callcenter module (make setup)') from None
        except Exception as error:
            raise DatabaseUnavailable(
                f'cannot open database "{self.name}": {error}') from None
        self._pool = pool
        return self

    def call(self, function, *args, readonly=False, **kwargs):
        """Run function(pool, *args, **kwargs) in a transaction (blocking)

        Like trytond's own dispatcher, a transaction that loses a
        concurrent update (serialization failure) is run again.
        """
        from trytond import backend
        from trytond.transaction import Transaction, TransactionError
        extras = {}
        retries = RETRIES
        while True:
            with Transaction().start(
                    self.name, 0, readonly=readonly, **extras) as transaction:
                try:
                    result = function(self._pool, *args, **kwargs)
                    if not readonly:
                        transaction.commit()
                    return result
                except TransactionError as error:
                    # Restart with the locks Tryton asked for.
                    transaction.rollback()
                    error.fix(extras)
                except backend.DatabaseOperationalError:
                    transaction.rollback()
                    if not retries:
                        raise
                    retries -= 1
                    time.sleep(0.02 * (RETRIES - retries))

    async def run(self, function, *args, readonly=False, urgent=False,
            **kwargs):
        """Run function in a worker thread and await its result; urgent
        work (a caller is waiting) has its own threads"""
        loop = asyncio.get_running_loop()
        executor = self._urgent if urgent else self._executor
        return await loop.run_in_executor(executor, functools.partial(
                self.call, function, *args, readonly=readonly, **kwargs))

    def close(self):
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._urgent.shutdown(wait=True, cancel_futures=True)
