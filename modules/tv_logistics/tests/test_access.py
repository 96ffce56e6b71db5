# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Every model our modules register or extend has explicit access records
and the client guard (tv_logistics depends on the others; tv_dialer is
activated with it so that all four are installed)."""
import unittest
from decimal import Decimal

from trytond.model import ModelStorage
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.tv_callcenter.exceptions import ClientWriteError
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
from trytond.modules.tv_callcenter.tests.tools import as_client
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.tools import resolve

OUR_MODULES = ['tv_callcenter', 'tv_orders', 'tv_logistics', 'tv_dialer']
# Tryton's own models we extend for behaviour only (their access and their
# form belong to Tryton's ir module and to administrators).
NOT_GUARDED = {'ir.rule', 'ir.translation', 'ir.cron', 'ir.ui.menu',
    # Extended for the audit log only (tv_callcenter/audit.py): their
    # forms are Tryton's, for administrators and managers.
    'res.user', 'res.role', 'res.user.role', 'party.address',
    'product.template', 'sale.complaint'}
# ir.rule rows are kept through ir.rule.group, which has its access records.
NO_ACCESS_RECORD = {'ir.rule'}


def our_models():
    "The names of the stored models our tryton.cfg files register"
    pool = Pool()
    names = set()
    for module in OUR_MODULES:
        for cls in Pool.classes['model'].get(module, {}):
            if isinstance(cls, str):
                cls = resolve(f'trytond.modules.{module}.{cls}')
            names.add(cls.__name__)
    return sorted(n for n in names
        if issubclass(pool.get(n), ModelStorage))


class AccessTestCase(unittest.TestCase):
    "Access records and guard of every model"

    @classmethod
    def setUpClass(cls):
        activate_module(['tv_logistics', 'tv_dialer'])

    @with_transaction()
    def test_every_model_has_access_records(self):
        "A model without ir.model.access is open to every user"
        ModelAccess = Pool().get('ir.model.access')
        models = our_models()
        self.assertIn('party.party', models)
        with_access = {a.model for a in ModelAccess.search([
                    ('model', 'in', models)])}
        self.assertEqual(
            [m for m in models
                if m not in with_access and m not in NO_ACCESS_RECORD], [],
            msg="models without an explicit ir.model.access record")

    @with_transaction()
    def test_every_model_has_the_client_guard(self):
        "No model of ours lets a client set its state or read-only fields"
        pool = Pool()
        self.assertEqual(
            [m for m in our_models() if m not in NOT_GUARDED
                # Reports (table_query) are never written.
                and not callable(getattr(pool.get(m), 'table_query', None))
                and not issubclass(pool.get(m), ClientGuardMixin)], [],
            msg="models without ClientGuardMixin")

    @with_transaction()
    def test_client_cannot_deliver_or_settle_orders(self):
        "Delivery and settlement come from imports, never from a client"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        Sale = pool.get('sale.sale')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            party, = Party.create([{'name': "王芳"}])
            sale, = Sale.create([{'party': party.id}])
            finance, = User.create([{'login': 'finance01', 'name': "财务",
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'groups': [('add', [
                                    ModelData.get_id('sale', 'group_sale'),
                                    ModelData.get_id(
                                        'tv_logistics', 'group_finance'),
                                    ])]}])
            for values in [
                    {'settled_amount': Decimal('100')},
                    {'settled_date': sale.create_date.date()},
                    {'delivery_status': 'delivered'},
                    {'tracking_number': 'SF1234567890'},
                    {'state': 'done'},
                    ]:
                with self.subTest(values=values), as_client(finance), \
                        self.assertRaises(ClientWriteError):
                    Sale.write([Sale(sale.id)], values)
            sale = Sale(sale.id)
            self.assertEqual(
                (sale.settled_amount, sale.delivery_status,
                    sale.tracking_number, sale.state),
                (None, None, None, 'draft'))

            # A client's copy of a cancelled order starts over as a draft.
            Sale.write([sale], {'state': 'cancelled'})
            with as_client(finance):
                copy, = Sale.copy([Sale(sale.id)])
            self.assertEqual(copy.state, 'draft')
