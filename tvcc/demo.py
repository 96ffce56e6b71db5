"""Load reference and demo data; running it again changes nothing.

    python -m tvcc.demo -d DATABASE [--instance run|test]

Each record is looked up by its natural key (a code, a login, a phone
number) before it is created, so the script is idempotent.
"""
import argparse
import datetime as dt
import logging
import random
import sys
from decimal import Decimal

from . import demo_data as data
from . import demo_history, phone, settings

log = logging.getLogger('tvcc.demo')


def get_or_create(Model, domain, values):
    records = Model.search(domain, limit=1)
    if records:
        return records[0], False
    record, = Model.create([values])
    return record, True


def ensure_language(pool):
    Lang = pool.get('ir.lang')
    lang, = Lang.search([('code', '=', 'zh_CN')])
    if not lang.translatable:
        Lang.write([lang], {'translatable': True})
    return lang


def ensure_china(pool):
    "China and its provinces (reference data, also for production)"
    Country = pool.get('country.country')
    Subdivision = pool.get('country.subdivision')
    country, _ = get_or_create(Country, [('code', '=', 'CN')], {
            'name': '中国', 'code': 'CN', 'code3': 'CHN', 'code_numeric': '156'})
    provinces = {}
    for code, name, type_ in data.PROVINCES:
        provinces[code], _ = get_or_create(Subdivision, [('code', '=', code)], {
                'country': country, 'code': code, 'name': name, 'type': type_})
    return country, provinces


def ensure_company(pool):
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    cny, _ = get_or_create(Currency, [('code', '=', 'CNY')], {
            'name': '人民币', 'code': 'CNY', 'numeric_code': '156',
            'symbol': '¥', 'rounding': Decimal('0.01'), 'digits': 2})
    companies = Company.search([('party.name', '=', data.COMPANY)])
    if companies:
        return companies[0]
    party, = Party.create([{'name': data.COMPANY}])
    company, = Company.create([{
                'party': party, 'currency': cny, 'timezone': 'Asia/Shanghai'}])
    return company


def ensure_accounting(pool, company):
    """A minimal chart of accounts and a product category for TV goods:
    Tryton's sale needs them to confirm orders (production companies set
    up their own chart through Accounting > Configuration)."""
    Account = pool.get('account.account')
    AccountTemplate = pool.get('account.account.template')
    ModelData = pool.get('ir.model.data')
    Category = pool.get('product.category')
    if not Account.search([('company', '=', company.id)], limit=1):
        CreateChart = pool.get('account.create_chart', type='wizard')
        template = AccountTemplate(ModelData.get_id(
                'account', 'account_template_root_en'))
        session_id, _, _ = CreateChart.create()
        wizard = CreateChart(session_id)
        wizard.account.account_template = template
        wizard.account.company = company
        wizard.transition_create_account()
        properties = wizard.states['properties']
        for name, value in properties.get_defaults(wizard, 'properties',
                list(wizard.properties._fields)).items():
            if name in wizard.properties._fields:
                setattr(wizard.properties, name, value)
        for field, kind in [('account_receivable', 'receivable'),
                ('account_payable', 'payable')]:
            if not getattr(wizard.properties, field, None):
                setattr(wizard.properties, field, Account.search([
                            (f'type.{kind}', '=', True),
                            ('party_required', '=', True),
                            ('company', '=', company.id)], limit=1)[0])
        wizard.transition_create_properties()
        CreateChart.delete(session_id)
    revenue, = Account.search([('type.revenue', '=', True),
            ('company', '=', company.id)], limit=1)
    expense, = Account.search([('type.expense', '=', True),
            ('company', '=', company.id)], limit=1)
    category, _ = get_or_create(Category, [('name', '=', data.CATEGORY)], {
            'name': data.CATEGORY, 'accounting': True,
            'account_revenue': revenue, 'account_expense': expense})
    return category


def ensure_media(pool):
    Channel = pool.get('tv.channel')
    Media = pool.get('tv.media')
    media = []
    for code, name, programmes in data.CHANNELS:
        channel, _ = get_or_create(Channel, [('code', '=', code)], {
                'code': code, 'name': name})
        for programme, start, end, hotline in programmes:
            medium, _ = get_or_create(Media, [
                    ('hotline', '=', phone.normalize(hotline))], {
                    'channel': channel, 'programme': programme,
                    'start_time': dt.time(*start), 'end_time': dt.time(*end),
                    'hotline': hotline})
            media.append(medium)
    return media


def ensure_products(pool, company, category):
    Uom = pool.get('product.uom')
    Template = pool.get('product.template')
    Product = pool.get('product.product')
    unit, = Uom.search([('symbol', '=', 'u')], limit=1)
    for code, name, price, cost in data.PRODUCTS:
        if Product.search([('code', '=', code)], limit=1):
            continue
        Template.create([{
                    'name': name, 'type': 'goods', 'salable': True,
                    'default_uom': unit, 'sale_uom': unit,
                    'list_price': Decimal(price),
                    'account_category': category,
                    'minimum_stock': 10,
                    'products': [('create', [{
                                    'suffix_code': code,
                                    'cost_price': Decimal(cost)}])],
                    }])
    Template.write(Template.search([('account_category', '=', None)]),
        {'account_category': category.id})
    # 买一送一: the massage chair comes with the foot massager.
    chair, = Product.search([('code', '=', 'TV001')])
    gift, = Product.search([('code', '=', 'TV005')])
    if not chair.template.gifts:
        Template.write([chair.template], {'gifts': [('add', [gift.id])]})
    ensure_bundles(pool, category, unit)
    ensure_stock(pool, company)


def ensure_bundles(pool, category, unit):
    "Kits of demo products sold at one TV price"
    Template = pool.get('product.template')
    Product = pool.get('product.product')
    for code, name, price, components in data.BUNDLES:
        if Product.search([('code', '=', code)], limit=1):
            continue
        parts = {p.code: p for p in Product.search(
                [('code', 'in', [c for c, _ in components])])}
        Template.create([{
                    'name': name, 'type': 'kit', 'salable': True,
                    'default_uom': unit, 'sale_uom': unit,
                    'list_price': Decimal(price),
                    'account_category': category,
                    'products': [('create', [{'suffix_code': code}])],
                    'components': [('create', [{
                                    'product': parts[c].id,
                                    'quantity': quantity,
                                    'unit': parts[c].default_uom.id}
                                for c, quantity in components])],
                    }])


def ensure_stock(pool, company):
    "Opening stock of every product in the warehouse (an inventory)"
    Location = pool.get('stock.location')
    Inventory = pool.get('stock.inventory')
    Product = pool.get('product.product')
    storage, = Location.search([('code', '=', 'STO')], limit=1)
    if Inventory.search([('location', '=', storage.id),
                ('state', '=', 'done')], limit=1):
        return
    inventory, = Inventory.create([{
                'location': storage, 'company': company,
                'lines': [('create', [{'product': p, 'quantity': 200}
                            for p in Product.search([('type', '=', 'goods')])])],
                }])
    Inventory.confirm([inventory])


def mobile_numbers(rng, count):
    "Valid, distinct mainland mobile numbers"
    seen = set()
    while len(seen) < count:
        number = rng.choice(data.MOBILE_PREFIXES) + f'{rng.randrange(10**8):08d}'
        normalized = phone.normalize_or_none(number)
        if normalized and phone.is_mobile(number):
            seen.add(normalized)
    return sorted(seen)


def ensure_customers(pool, country, provinces, count=200):
    Party = pool.get('party.party')
    ContactMechanism = pool.get('party.contact_mechanism')
    rng = random.Random(2026)
    numbers = mobile_numbers(rng, count)
    existing = {m.value_compact for m in ContactMechanism.search([
                ('value_compact', 'in', numbers)])}
    to_create = []
    for number in numbers:
        name = rng.choice(data.SURNAMES) + ''.join(
            rng.choice(data.GIVEN) for _ in range(rng.choice([1, 2])))
        code, city, districts, postal = rng.choice(data.CITIES)
        street = (f'{rng.choice(data.STREETS)}{rng.randint(1, 999)}号'
            f'{rng.choice(data.COMMUNITIES)}{rng.randint(1, 30)}栋'
            f'{rng.randint(1, 6)}单元{rng.randint(101, 2804)}室')
        if number in existing:
            continue
        to_create.append({
                'name': name,
                'contact_mechanisms': [('create', [{
                                'type': 'mobile', 'value': number}])],
                'addresses': [('create', [{
                                'country': country,
                                'subdivision': provinces[code],
                                'city': city,
                                'district': rng.choice(districts),
                                'street': street,
                                'postal_code': postal + f'{rng.randrange(1000):03d}',
                                }])],
                })
    if to_create:
        Party.create(to_create)
    return len(to_create)


def ensure_staff(pool, company, lang):
    User = pool.get('res.user')
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    ModelData = pool.get('ir.model.data')
    Role = pool.get('res.role')
    created = 0
    for login, name, role_xml_id, _queue in data.STAFF:
        role = Role(ModelData.get_id('tv_callcenter', role_xml_id))
        users = User.search([('login', '=', login)], limit=1)
        if users:
            continue
        party, = Party.create([{'name': name}])
        employee, = Employee.create([{'party': party, 'company': company}])
        User.create([{
                    'login': login, 'name': name,
                    'password': settings.DEMO_PASSWORD,
                    'language': lang,
                    'companies': [('add', [company.id])],
                    'company': company,
                    'employees': [('add', [employee.id])],
                    'employee': employee,
                    'roles': [('create', [{'role': role}])],
                    }])
        created += 1
    # Roles gain groups when modules are added or upgraded: re-apply them.
    User.sync_roles()
    admin, = User.search([('login', '=', 'admin')])
    values = {'language': lang.id}
    if company not in admin.companies:
        values['companies'] = [('add', [company.id])]
        values['company'] = company.id
    User.write([admin], values)
    return created


BROWSER_AGENT = 'agent01'


def ensure_node(pool, inst):
    Node = pool.get('callcenter.node')
    values = {
        'name': f'本地交换机 ({inst.name})', 'code': inst.node_code,
        'ami_host': '127.0.0.1', 'ami_port': inst.ami_port,
        'ami_username': inst.ami_username,
        'ami_secret_ref': inst.ami_secret_ref,
        'agi_host': '127.0.0.1', 'agi_port': inst.agi_port,
        'agi_secret_ref': inst.agi_secret_ref,
        'wss_port': inst.wss_port,
        'instance_path': inst.path,
        'host_path': str(inst.host_path),
        }
    nodes = Node.search([('code', '=', inst.node_code),
            ('active', 'in', [True, False])])
    if nodes:
        Node.write(nodes, values)
    else:
        Node.create([values])


def ensure_callcenter(pool):
    "Pause reasons, skills, prompts, business hours, queues, agents, IVR, DIDs"
    User = pool.get('res.user')
    Agent = pool.get('callcenter.agent')
    Queue = pool.get('callcenter.queue')
    Skill = pool.get('callcenter.skill')
    PauseReason = pool.get('callcenter.pause_reason')
    Prompt = pool.get('callcenter.prompt')
    Calendar = pool.get('callcenter.calendar')
    Flow = pool.get('callcenter.ivr.flow')
    Node = pool.get('callcenter.ivr.node')
    Option = pool.get('callcenter.ivr.option')
    DID = pool.get('callcenter.did')
    Media = pool.get('tv.media')
    Configuration = pool.get('callcenter.configuration')

    for code, name in data.PAUSE_REASONS:
        get_or_create(PauseReason, [('code', '=', code)],
            {'code': code, 'name': name})
    skills = {code: get_or_create(Skill, [('code', '=', code)],
            {'code': code, 'name': name})[0]
        for code, name in data.SKILLS}
    prompts = {code: get_or_create(Prompt, [('code', '=', code)],
            {'code': code, 'name': name, 'source': 'tts', 'text': text})[0]
        for code, name, text in data.PROMPTS}
    for code, name, text in data.PROMPTS:
        if prompts[code].text == data.FORMER_PROMPTS.get(code):
            Prompt.write([prompts[code]], {'text': text})
    # TV-shopping hotlines answer day and night: open all day, every day
    # (a time has no 24:00, the day's last second is 23:59:59).
    hours = [{'weekday': str(d), 'start_time': dt.time(0),
            'end_time': dt.time(23, 59, 59)} for d in range(7)]
    calendar, created = get_or_create(Calendar, [('name', '=', '每日服务时间')],
        {'name': '每日服务时间', 'hours': [('create', hours)],
            'holidays': [('create', [
                        {'date': dt.date(2027, 2, 6), 'name': '除夕'},
                        {'date': dt.date(2027, 2, 7), 'name': '春节'}])]})
    if {(h.start_time, h.end_time) for h in calendar.hours} == {
            (dt.time(8), dt.time(22))}:
        # The demo's former hours (08:00-22:00), never changed by a user.
        Calendar.write([calendar], {'hours': [
                    ('delete', [h.id for h in calendar.hours]),
                    ('create', hours)]})
    leaders = {queue: User.search([('login', '=', login)])[0]
        for login, _, role, queue in data.STAFF
        if role == 'role_team_leader'}
    agents = {}
    for n, (login, name, role, queue) in enumerate(data.STAFF, 1):
        if not queue:
            continue
        user, = User.search([('login', '=', login)])
        extension = f'80{n:02d}' if role == 'role_agent' else f'81{n % 10:02d}'
        # agent01 takes calls in the web client's browser phone (make run);
        # the others are simulated (make simulate).
        device = 'browser' if login == BROWSER_AGENT else 'simulated'
        agent, _ = get_or_create(Agent, [('user', '=', user.id)], {
                'user': user, 'extension': extension,
                'device': device,
                'team_leader': leaders[queue] if role == 'role_agent'
                else None,
                'skills': [('create', [{
                                'skill': skills['order' if queue == 'sales'
                                    else 'service'],
                                'level': 10 - (n % 5)}])]})
        if device == 'browser' and agent.device == 'simulated':
            # Made by a demo from before the browser phone.
            from trytond.modules.tv_callcenter.agent import (
                generate_sip_password)
            Agent.write([agent], {'device': device,
                    'sip_password': agent.sip_password
                    or generate_sip_password(agent.extension)})
        agents.setdefault(queue, []).append(agent)
    queues = {}
    for code, name, strategy, skill in data.QUEUES:
        queues[code], _ = get_or_create(Queue, [('code', '=', code)], {
                'code': code, 'name': name, 'strategy': strategy,
                'skill': skills[skill] if strategy == 'skills' else None,
                'max_wait': 300, 'overflow_action': 'hangup',
                'overflow_prompt': prompts['busy'],
                'members': [('create', [{'agent': a} for a in agents[code]])],
                })
    # The order line offers callbacks (回拨) while programmes air.
    if 'callback_key' in Queue._fields and not queues['sales'].callback_key:
        Queue.write([queues['sales']], {'callback_key': '1',
                'callback_prompt': prompts['callback_offer'],
                'callback_after': 60})
    config = Configuration(1)
    if not config.default_queue:
        config.default_queue = queues['sales']
        config.save()
    flow = Flow.search([('code', '=', 'main')], limit=1)
    if not flow:
        flow, = Flow.create([{'code': 'main', 'name': '主流程'}])
        def node(name, type_, **values):
            record, = Node.create([{'flow': flow, 'name': name,
                        'type': type_, **values}])
            return record
        to_sales = node('订购组', 'queue', queue=queues['sales'])
        to_service = node('售后组', 'queue', queue=queues['service'])
        blocked = node('黑名单挂机', 'hangup', prompt=prompts['blocked'])
        closed = node('非工作时间', 'hangup', prompt=prompts['closed'])
        menu = node('主菜单', 'menu', prompt=prompts['welcome'],
            invalid_prompt=prompts['invalid'], next_node=to_sales)
        Option.create([
                {'node': menu, 'match': '1', 'target': to_sales},
                {'node': menu, 'match': '2', 'target': to_service}])
        hours = node('服务时间', 'branch_time', calendar=calendar,
            next_node=menu)
        Option.create([
                {'node': hours, 'match': 'closed', 'target': closed},
                {'node': hours, 'match': 'holiday', 'target': closed}])
        entry = node('来电甄别', 'branch_caller', next_node=hours)
        Option.create([{'node': entry, 'match': 'blacklist',
                    'target': blocked}])
        flow.entry = entry
        flow.save()
    else:
        flow, = flow
    for medium in Media.search([]):
        get_or_create(DID, [('number', '=', medium.hotline)], {
                'number': medium.hotline, 'flow': flow,
                'description': medium.rec_name, 'media': medium})


def ensure_complaint_types(pool):
    "Complaints and after-sales (exchange, repair, return) about an order"
    Type = pool.get('sale.complaint.type')
    Model = pool.get('ir.model')
    origin, = Model.search([('name', '=', 'sale.sale')])
    for name in data.COMPLAINT_TYPES:
        get_or_create(Type, [('name', '=', name)],
            {'name': name, 'origin': origin})


def ensure_couriers(pool, company):
    "The couriers with their sample pick-up list templates; the sender"
    Carrier = pool.get('carrier')
    Party = pool.get('party.party')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Configuration = pool.get('sale.configuration')
    unit, = Uom.search([('name', '=', 'Unit')], limit=1)
    fee, _ = get_or_create(Template, [('name', '=', '快递费')], {
            'name': '快递费', 'type': 'service', 'default_uom': unit.id,
            'list_price': Decimal('12'), 'products': [('create', [{}])]})
    for code, name, contact, phone in data.COURIERS:
        if Carrier.search([('code', '=', code)]):
            continue
        party, = Party.create([{'name': name}])
        carrier, = Carrier.create([{'party': party.id, 'code': code,
                    'contact_name': contact, 'contact_phone': phone,
                    'carrier_product': fee.products[0].id}])
        Carrier.load_sample_template([carrier])
    config = Configuration(1)
    if not config.sender_name:
        (config.sender_name, config.sender_phone,
            config.sender_address) = data.SENDER
        config.save()


def close_configuration_wizard(pool):
    """The demo is configured: Tryton's module configuration wizard would
    open at every administrator log-in while its items are open"""
    Item = pool.get('ir.module.config_wizard.item')
    items = Item.search([('state', '!=', 'done')])
    if items:
        Item.write(items, {'state': 'done'})


def load(database, inst):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.transaction import TransactionError
    pool = Pool(database)
    pool.init()
    extras = {}
    while True:
        with Transaction().start(database, 0, context={'language': 'en'},
                **extras) as tx:
            try:
                lang = ensure_language(pool)
                country, provinces = ensure_china(pool)
                company = ensure_company(pool)
                with tx.set_context(company=company.id):
                    category = ensure_accounting(pool, company)
                    media = ensure_media(pool)
                    ensure_products(pool, company, category)
                    customers = ensure_customers(pool, country, provinces)
                    staff = ensure_staff(pool, company, lang)
                    ensure_node(pool, inst)
                    ensure_callcenter(pool)
                    ensure_complaint_types(pool)
                    ensure_couriers(pool, company)
                    close_configuration_wizard(pool)
                    # Logs what it created.
                    demo_history.ensure_history(
                        pool, company, inst.node_code)
                tx.commit()
            except TransactionError as error:
                # Tryton asks to restart with the tables it must lock.
                tx.rollback()
                error.fix(extras)
                continue
            break
    log.info('demo data in "%s": %d media, %d new customers, %d new users',
        database, len(media), customers, staff)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--instance', default='run', choices=settings.INSTANCES)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(name)s: %(message)s')
    from trytond import config
    config.update_etc()
    load(args.database, settings.instance(args.instance))
    return 0


if __name__ == '__main__':
    sys.exit(main())
