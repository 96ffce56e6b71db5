#!/usr/bin/env python3
"""Orders per second through create -> submit -> first review -> second review.

    .venv/bin/python bench/order_pipeline.py [--orders 10000] [--agents 10]
        [--reviewers 4]

trytond serves tvcc_bench (a copy of the test database with its demo data);
every step is a JSON-RPC call as the demo user whose job it is, as sao
makes it: agents (agent01...) create an order for a demo customer with one
or two products and submit it; first reviewers (review1a/b) pass it; second
reviewers (review2a/b) approve it, which confirms the sale and creates its
shipment. The three stages run concurrently, as on a working day. Prints
the throughput of the whole pipeline and each step's latency.
"""
import argparse
import os
import queue
import random
import threading
import time

import common

from helpers import RPC
from tvcc import settings

DONE = object()


class Stage(threading.Thread):
    "One user's session working through a stage"

    def __init__(self, url, login, work, inbox, outbox):
        super().__init__(daemon=True)
        self.rpc = RPC(url, common.BENCH_DB)
        self.rpc.login(login, settings.DEMO_PASSWORD)
        self.work, self.inbox, self.outbox = work, inbox, outbox
        self.latencies = []
        self.errors = []

    def run(self):
        while True:
            item = self.inbox.get()
            if item is DONE:
                self.inbox.put(DONE)    # for the other sessions of the stage
                return
            started = time.perf_counter()
            try:
                result = self.work(self.rpc, item)
            except Exception as error:
                self.errors.append(repr(error)[:300])
                result = None
            self.latencies.append(time.perf_counter() - started)
            if self.outbox is not None and result is not None:
                self.outbox.put(result)


def catalogue(url):
    "(customers with an address, salable products) as an agent sees them"
    rpc = RPC(url, common.BENCH_DB)
    rpc.login('agent01', settings.DEMO_PASSWORD)
    customers = rpc.model('party.party', 'search_read',
        [('addresses', '!=', None), ('code', 'not like', 'BENCH%')],
        0, 500, None, ['addresses'])
    products = rpc.model('product.product', 'search_read',
        [('salable', '=', True), ('type', '=', 'goods')], 0, 50, None,
        ['default_uom', 'list_price_used'])
    if not customers or not products:
        raise SystemExit('the bench database has no demo customers or '
            'products: run make setup-test')
    return customers, products


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--orders', type=int, default=10_000)
    parser.add_argument('--agents', type=int, default=10,
        help='agent sessions (demo agents agent01..agent10)')
    parser.add_argument('--reviewers', type=int, default=4,
        help='sessions per review stage (spread over its two users)')
    parser.add_argument('--servers', type=int, default=os.cpu_count() or 1,
        help='trytond processes, sessions spread over them (default: one '
        'per core)')
    args = parser.parse_args()
    common.ensure_bench_database()
    with common.trytond_servers('orders-trytond',
            servers=args.servers) as urls:
        customers, products = catalogue(urls[0])
        rng = random.Random(20261127)

        def enter(rpc, n):
            customer = rng.choice(customers)
            address = customer['addresses'][0]
            lines = []
            for product in rng.sample(products, rng.choice([1, 1, 2])):
                lines.append({'type': 'line', 'product': product['id'],
                        'quantity': rng.choice([1, 1, 2]),
                        'unit': product['default_uom'],
                        'unit_price': product['list_price_used']})
            started = time.perf_counter()
            sale_id, = rpc.model('sale.sale', 'create', [{
                        'party': customer['id'],
                        'shipment_address': address,
                        'invoice_address': address,
                        'lines': [['create', lines]]}])
            created = time.perf_counter()
            rpc.model('sale.sale', 'submit', [sale_id])
            step_times['create'].append(created - started)
            step_times['submit'].append(time.perf_counter() - created)
            return sale_id

        def first_review(rpc, sale_id):
            rpc.model('sale.sale', 'pass_first_review', [sale_id])
            return sale_id

        def second_review(rpc, sale_id):
            rpc.model('sale.sale', 'approve', [sale_id])
            finished.append(time.perf_counter())
            return sale_id

        step_times = {'create': [], 'submit': []}
        finished = []
        todo, reviewed1, reviewed2 = (queue.Queue(), queue.Queue(),
            queue.Queue())
        stages = {
            'agents': [Stage(urls[i % len(urls)], f'agent{i % 10 + 1:02d}',
                    enter, todo, reviewed1) for i in range(args.agents)],
            'first review': [Stage(urls[i % len(urls)],
                    f'review1{"ab"[i % 2]}', first_review, reviewed1,
                    reviewed2) for i in range(args.reviewers)],
            'second review': [Stage(urls[(i + 1) % len(urls)],
                    f'review2{"ab"[i % 2]}',
                    second_review, reviewed2, None)
                for i in range(args.reviewers)],
            }
        for n in range(args.orders):
            todo.put(n)
        todo.put(DONE)
        print(f'{args.orders} orders: {args.agents} agent sessions, '
            f'{args.reviewers} sessions per review stage, {len(urls)} '
            f'trytond processes on {os.cpu_count()} cores', flush=True)
        started = time.perf_counter()
        for sessions in stages.values():
            for stage in sessions:
                stage.start()
        progress = threading.Thread(target=report, daemon=True,
            args=(finished, args.orders, started))
        progress.start()
        for name in stages:
            for stage in stages[name]:
                stage.join()
            # The next stage ends when its inbox is empty.
            following = {'agents': reviewed1, 'first review': reviewed2}
            if name in following:
                following[name].put(DONE)
        elapsed = time.perf_counter() - started
    errors = [e for s in stages.values() for t in s for e in t.errors]
    print(f'approved {len(finished)} of {args.orders} orders in '
        f'{elapsed:.1f} s: {len(finished) / elapsed:.1f} orders/s through '
        f'all four steps ({len(errors)} errors)')
    for name, values in step_times.items():
        print(f'  {name:14} {common.describe(values)}')
    for name, sessions in stages.items():
        if name != 'agents':
            values = [v for s in sessions for v in s.latencies]
            print(f'  {name:14} {common.describe(values)}')
    for error in errors[:5]:
        print('  error:', error)


def report(finished, total, started):
    while len(finished) < total:
        time.sleep(30)
        elapsed = time.perf_counter() - started
        print(f'  ... {len(finished)} approved after {elapsed:.0f} s',
            flush=True)


if __name__ == '__main__':
    main()
