# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What every order scenario needs: a company with a chart, a product
category, products in stock, staff with their roles, a customer."""
import datetime as dt
from decimal import Decimal

from proteus import Model
from proteus.config import get_config
from trytond.modules.account.tests.tools import create_chart, get_accounts
from trytond.modules.company.tests.tools import create_company, get_company
from trytond.modules.currency.tests.tools import get_currency

PASSWORD = 'scenario-2026'


def setup_company(config):
    "Company and chart of accounts (activate_modules setup step)"
    create_company(currency=get_currency('CNY', config=config),
        config=config)
    create_chart(config=config)


def create_category(config=None):
    Category = Model.get('product.category', config=config)
    accounts = get_accounts(config=config)
    category = Category(name="电视商品", accounting=True,
        account_revenue=accounts['revenue'],
        account_expense=accounts['expense'])
    category.save()
    return category


def create_product(name, price, category, quantity=100, config=None):
    "A salable good with quantity in the warehouse"
    Uom = Model.get('product.uom', config=config)
    Template = Model.get('product.template', config=config)
    Location = Model.get('stock.location', config=config)
    Inventory = Model.get('stock.inventory', config=config)
    unit, = Uom.find([('name', '=', 'Unit')])
    template = Template(name=name, type='goods', salable=True,
        default_uom=unit, sale_uom=unit, list_price=Decimal(price),
        account_category=category)
    template.save()
    product, = template.products
    if quantity:
        storage, = Location.find([('code', '=', 'STO')])
        inventory = Inventory(location=storage)
        line = inventory.lines.new()
        line.product = product
        line.quantity = quantity
        inventory.click('confirm')
    return product


def create_user(login, role_xml_ids, config=None):
    "A staff user with the roles of their job"
    config = config or get_config()
    User = Model.get('res.user', config=config)
    Role = Model.get('res.role', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    user = User(login=login, name=login, password=PASSWORD)
    for xml_id in role_xml_ids:
        module, name = xml_id.split('.')
        user_role = user.roles.new()
        user_role.role = Role(ModelData.get_id(module, name, config.context))
    user.save()
    company = get_company(config=config)
    user.companies.append(company)
    user.company = company
    user.save()
    return user


def create_customer(name, phone, street='人民路1号', city='上海市',
        district='浦东新区', province='CN-SH', config=None):
    Party = Model.get('party.party', config=config)
    Country = Model.get('country.country', config=config)
    Subdivision = Model.get('country.subdivision', config=config)
    countries = Country.find([('code', '=', 'CN')])
    if countries:
        country, = countries
    else:
        country = Country(name="中国", code='CN')
        country.save()
    subdivisions = Subdivision.find([('code', '=', province)])
    if subdivisions:
        subdivision, = subdivisions
    else:
        subdivision = Subdivision(country=country, code=province,
            name=province, type='province')
        subdivision.save()
    party = Party(name=name)
    mechanism = party.contact_mechanisms.new()
    mechanism.type = 'mobile'
    mechanism.value = phone
    party.save()
    address, = party.addresses
    address.country = country
    address.subdivision = subdivision
    address.city = city
    address.district = district
    address.street = street
    address.save()
    return party


def record_call(caller, end, linkedid, disposition='abandoned', party=None,
        config=None):
    """An ended inbound call, as the telephony bridge records it (calls are
    never entered by hand: the bridge writes them as root), linked to party
    as the screen pop links it during the call"""
    return _as_root(config, _record_call, caller, end, linkedid, disposition,
        party.id if party else None)


def serve(customer, user, config=None):
    """The customer calls and user (an agent) takes the call, as the bridge
    records it: from then on the agent reads the customer (an agent reads
    the customers they serve, not the centre's list)"""
    return _as_root(config, _serve, customer.id, user.id)


def _serve(pool, party_id, user_id):
    Agent = pool.get('callcenter.agent')
    Call = pool.get('callcenter.call')
    Party = pool.get('party.party')
    agents = Agent.search([('user', '=', user_id)])
    if not agents:
        agents = Agent.create([{'user': user_id,
                    'extension': str(8000 + user_id),
                    'device': 'simulated'}])
    party = Party(party_id)
    numbers = [m.value for m in party.contact_mechanisms
        if m.type in {'mobile', 'phone'}]
    now = dt.datetime.now()
    call_id = _record_call(pool, numbers[0] if numbers else None, now,
        f'served-{party_id}-{user_id}-{now.timestamp()}', 'answered',
        party_id)
    Call.write([Call(call_id)], {'agent': agents[0].id})
    return call_id


def took_call(customer, user, ended, config=None, **values):
    """As serve, the call ended at ended (UTC); values: more of the call
    (e.g. media, the medium of the number dialled)"""
    def end(pool, call_id):
        Call = pool.get('callcenter.call')
        Call.write([Call(call_id)], {
                'start_time': ended, 'end_time': ended, **values})
    call_id = serve(customer, user, config=config)
    _as_root(config, end, call_id)
    return call_id


def record_delivery_status(sale, status, config=None):
    """The courier's news on an order, as the tracking import of
    tv_logistics records it (never by hand: the field is read-only)"""
    def record(pool, sale_id, status):
        Sale = pool.get('sale.sale')
        Sale.write([Sale(sale_id)], {'delivery_status': status})
    _as_root(config, record, sale.id, status)


def _as_root(config, func, *args):
    "Run func(pool, *args) in its own transaction as the server (user 0)"
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError
    config = config or get_config()
    extras = {}
    while True:
        with Transaction().start(config.database_name, 0, **extras) as tx:
            try:
                result = func(Pool(), *args)
                tx.commit()
                return result
            except TransactionError as error:
                tx.rollback()
                error.fix(extras)


def _record_call(pool, caller, end, linkedid, disposition, party=None):
    Node = pool.get('callcenter.node')
    Call = pool.get('callcenter.call')
    nodes = Node.search([('code', '=', 'scenario')])
    if not nodes:
        nodes = Node.create([{'name': "PBX", 'code': 'scenario',
                    'ami_secret_ref': 'env:TVCC_AMI_SECRET',
                    'instance_path': '/srv/tvcc/scenario',
                    'host_path': '/srv/tvcc/scenario'}])
    call, = Call.create([{'node': nodes[0].id, 'linkedid': linkedid,
                'caller': caller, 'state': 'ended', 'party': party,
                'disposition': disposition, 'start_time': end,
                'end_time': end}])
    return call.id


def approved_order(customer, lines, agent, first_reviewer, second_reviewer,
        payment_method='cod', config=None):
    """An order entered by agent and through both reviews: lines are
    [(product, quantity)]; returns the confirmed order (as the admin)"""
    from trytond.tests.tools import set_user
    config = config or get_config()
    Sale = Model.get('sale.sale', config=config)
    admin = config.user
    serve(customer, agent, config=config)
    set_user(agent, config=config)
    sale = Sale()
    sale.party = customer
    sale.payment_method = payment_method
    for product, quantity in lines:
        line = sale.lines.new()
        line.product = product
        line.quantity = quantity
    sale.click('submit')
    set_user(first_reviewer, config=config)
    Sale(sale.id).click('pass_first_review')
    set_user(second_reviewer, config=config)
    Sale(sale.id).click('approve')
    set_user(admin, config=config)
    return Sale(sale.id)
