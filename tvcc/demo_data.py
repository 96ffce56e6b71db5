"""Reference and demo content for a Chinese TV-shopping company."""

# ISO 3166-2:CN codes with the names our users read.
PROVINCES = [
    ('CN-BJ', '北京市', 'municipality'), ('CN-TJ', '天津市', 'municipality'),
    ('CN-HE', '河北省', 'province'), ('CN-SX', '山西省', 'province'),
    ('CN-NM', '内蒙古自治区', 'autonomous region'),
    ('CN-LN', '辽宁省', 'province'), ('CN-JL', '吉林省', 'province'),
    ('CN-HL', '黑龙江省', 'province'), ('CN-SH', '上海市', 'municipality'),
    ('CN-JS', '江苏省', 'province'), ('CN-ZJ', '浙江省', 'province'),
    ('CN-AH', '安徽省', 'province'), ('CN-FJ', '福建省', 'province'),
    ('CN-JX', '江西省', 'province'), ('CN-SD', '山东省', 'province'),
    ('CN-HA', '河南省', 'province'), ('CN-HB', '湖北省', 'province'),
    ('CN-HN', '湖南省', 'province'), ('CN-GD', '广东省', 'province'),
    ('CN-GX', '广西壮族自治区', 'autonomous region'),
    ('CN-HI', '海南省', 'province'), ('CN-CQ', '重庆市', 'municipality'),
    ('CN-SC', '四川省', 'province'), ('CN-GZ', '贵州省', 'province'),
    ('CN-YN', '云南省', 'province'), ('CN-XZ', '西藏自治区', 'autonomous region'),
    ('CN-SN', '陕西省', 'province'), ('CN-GS', '甘肃省', 'province'),
    ('CN-QH', '青海省', 'province'),
    ('CN-NX', '宁夏回族自治区', 'autonomous region'),
    ('CN-XJ', '新疆维吾尔自治区', 'autonomous region'),
    ]

# (province code, city, districts, postal code prefix)
CITIES = [
    ('CN-BJ', '北京市', ['朝阳区', '海淀区', '丰台区', '西城区'], '100'),
    ('CN-SH', '上海市', ['浦东新区', '徐汇区', '静安区', '闵行区'], '200'),
    ('CN-TJ', '天津市', ['和平区', '南开区', '河西区'], '300'),
    ('CN-CQ', '重庆市', ['渝中区', '江北区', '沙坪坝区'], '400'),
    ('CN-GD', '广州市', ['天河区', '越秀区', '海珠区', '白云区'], '510'),
    ('CN-GD', '深圳市', ['南山区', '福田区', '宝安区', '龙岗区'], '518'),
    ('CN-ZJ', '杭州市', ['西湖区', '拱墅区', '滨江区'], '310'),
    ('CN-ZJ', '宁波市', ['海曙区', '鄞州区', '江北区'], '315'),
    ('CN-JS', '南京市', ['玄武区', '鼓楼区', '建邺区'], '210'),
    ('CN-JS', '苏州市', ['姑苏区', '吴中区', '工业园区'], '215'),
    ('CN-SD', '济南市', ['历下区', '市中区', '槐荫区'], '250'),
    ('CN-SD', '青岛市', ['市南区', '市北区', '崂山区'], '266'),
    ('CN-HB', '武汉市', ['江岸区', '武昌区', '洪山区'], '430'),
    ('CN-HN', '长沙市', ['芙蓉区', '岳麓区', '开福区'], '410'),
    ('CN-SC', '成都市', ['锦江区', '武侯区', '青羊区', '成华区'], '610'),
    ('CN-HA', '郑州市', ['金水区', '二七区', '中原区'], '450'),
    ('CN-FJ', '福州市', ['鼓楼区', '台江区', '仓山区'], '350'),
    ('CN-SN', '西安市', ['雁塔区', '碑林区', '新城区'], '710'),
    ('CN-LN', '沈阳市', ['和平区', '沈河区', '皇姑区'], '110'),
    ('CN-YN', '昆明市', ['五华区', '盘龙区', '官渡区'], '650'),
    ]

STREETS = [
    '人民路', '解放路', '中山路', '建设路', '和平路', '幸福路', '长江路',
    '黄河路', '新华路', '光明路', '文化路', '友谊路', '胜利路', '朝阳路',
    ]
COMMUNITIES = [
    '阳光花园', '幸福小区', '锦绣家园', '翠苑', '金色港湾', '绿城花园',
    '东方明珠苑', '书香门第', '和谐家园', '滨江一号',
    ]

SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董'
GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国建华志强淑珍凤兰'

MOBILE_PREFIXES = [
    '130', '131', '132', '133', '135', '136', '137', '138', '139', '150',
    '151', '152', '155', '156', '157', '158', '159', '177', '180', '181',
    '182', '183', '185', '186', '187', '188', '189', '199',
    ]

COMPANY = '星视电视购物有限公司'
CATEGORY = '电视商品'
# sale_complaint types for after-sales (售后) and complaints (投诉)
COMPLAINT_TYPES = ['投诉', '换货', '维修', '退货']

# Couriers (code, name, contact, phone); each gets its sample template.
COURIERS = [
    ('SF', '顺丰速运', '王经理', '021-6000 1101'),
    ('ZTO', '中通快递', '李经理', '021-6000 1102'),
    ('EMS', '中国邮政EMS', '赵经理', '021-6000 1103'),
    ]
SENDER = ('星视电视购物仓储中心', '021-60001234', '上海市嘉定区嘉定工业区叶城路1288号')

CHANNELS = [
    ('XS', '星视购物频道', [
        ('健康早班车', (8, 0), (9, 30), '400-820-1001'),
        ('午间特惠', (12, 0), (13, 0), '400-820-1002'),
        ]),
    ('KL', '快乐购物频道', [
        ('家居好物', (19, 30), (21, 0), '400-830-2001'),
        ('夜间秒杀', (22, 0), (23, 30), '400-830-2002'),
        ]),
    ('JY', '家有购物频道', [
        ('银发健康', (9, 0), (10, 30), '400-850-3001'),
        ('美丽人生', (20, 0), (21, 30), '400-850-3002'),
        ]),
    ]

# (code, name, TV price, cost)
PRODUCTS = [
    ('TV001', '多功能按摩椅', 3980, 2100),
    ('TV002', '智能空气炸锅', 399, 180),
    ('TV003', '玉石保健床垫', 1980, 760),
    ('TV004', '破壁料理机', 599, 260),
    ('TV005', '远红外足疗仪', 698, 280),
    ('TV006', '不锈钢炒锅七件套', 299, 110),
    ('TV007', '蚕丝被(200x230)', 888, 390),
    ('TV008', '深海鱼油软胶囊(3瓶装)', 398, 120),
    ('TV009', '黄金手镯(足金)', 4999, 4300),
    ('TV010', '纳米抗菌内衣套装', 259, 80),
    ('TV011', '家用制氧机', 2680, 1300),
    ('TV012', '颈椎理疗仪', 498, 190),
    ('TV013', '负离子吹风机', 329, 120),
    ('TV014', '真空压缩收纳袋(12件)', 129, 35),
    ('TV015', '电动拖把', 459, 200),
    ('TV016', '东北五常大米(10kg)', 168, 90),
    ('TV017', '羊毛地毯', 1280, 520),
    ('TV018', '老人手机(大字大声)', 399, 170),
    ('TV019', '净水器(五级过滤)', 1680, 700),
    ('TV020', '水晶项链', 699, 210),
    ]

# Bundles (套装, Tryton kits): (code, name, TV price, [(component code, qty)])
BUNDLES = [
    ('TV101', '厨房三件套', 999, [('TV002', 1), ('TV004', 1), ('TV006', 1)]),
    ]

# (login, name, role xml id, queue) for the demo staff; password: settings.
STAFF = (
    [(f'agent{n:02d}', f'{name}', 'role_agent',
            'sales' if n <= 5 else 'service')
        for n, name in enumerate([
                '李娜', '王芳', '张敏', '刘洋', '陈静',
                '杨磊', '赵丽', '黄超', '周杰', '吴娟'], 1)]
    + [('leader01', '孙建国', 'role_team_leader', 'sales'),
        ('leader02', '马秀英', 'role_team_leader', 'service'),
        ('review1a', '朱丽华', 'role_first_reviewer', None),
        ('review1b', '胡志强', 'role_first_reviewer', None),
        ('review2a', '郭淑珍', 'role_second_reviewer', None),
        ('review2b', '何建华', 'role_second_reviewer', None),
        ('logistics', '林凤兰', 'role_logistics', None),
        ('finance', '罗玉兰', 'role_finance', None),
        ('manager', '郑国强', 'role_manager', None),
        ])

PAUSE_REASONS = [
    ('break', '小休'), ('meal', '就餐'), ('meeting', '开会'),
    ('training', '培训'), ('admin', '事务处理'),
    ]
SKILLS = [('order', '订购'), ('service', '售后'), ('consult', '咨询')]

# (code, name, strategy, skill)
QUEUES = [
    ('sales', '订购组', 'longest_idle', 'order'),
    ('service', '售后咨询组', 'skills', 'service'),
    ]

# The demo's texts replaced since (updated where no one edited them)
FORMER_PROMPTS = {
    'closed': '您好，现在是非工作时间，我们的服务时间是每天早上八点到晚上十点，请您稍后再拨。',
    }

PROMPTS = [
    ('welcome', '欢迎语与主菜单', '您好，欢迎致电星视购物。订购商品请按1，售后服务请按2。'),
    ('invalid', '按键错误', '对不起，您的输入有误，请重新选择。'),
    # The hotline is open around the clock: closed only on holidays.
    ('closed', '非工作时间', '您好，今天是节假日，人工服务暂停，请您改日再拨，谢谢。'),
    ('blocked', '黑名单提示', '对不起，您的号码暂时无法接通，再见。'),
    ('busy', '排队超时', '对不起，现在坐席全忙，请您稍后再拨，再见。'),
    # Played by outbound campaigns to an answered callee no agent took.
    ('dialer_abandon', '外呼放弃提示', '您好，这里是星视购物，我们稍后再与您联系，谢谢，再见。'),
    # Callbacks (回拨): offered to the callers waiting in a queue that
    # offers them, and the thanks of a caller who pressed the key.
    ('callback_offer', '回拨提示', '如需保留排队位置并由我们给您回电，请按1。'),
    ('callback_thanks', '回拨确认', '好的，我们会按您的排队顺序尽快给您回电，谢谢，再见。'),
    ]

# Texts of the demo history (tvcc/demo_history.py)
HISTORY_RETURN_REASONS = [
    '收货地址不完整，请补充门牌号', '客户电话无法接通，请核实号码',
    '订单金额与通话内容不符，请核对数量', '客户要求更换颜色，请修改订单',
    ]
HISTORY_REJECT_REASONS = [
    '重复订单，客户已在其他订单购买', '客户来电取消订购', '地址超出配送范围',
    '疑似恶意下单，号码多次拒收',
    ]
HISTORY_REFUND_REASONS = [
    '商品有质量问题，客户申请退货', '七天无理由退货', '尺寸不合适，客户退回一件',
    '外包装破损，客户拒绝使用',
    ]
HISTORY_COMPENSATIONS = [
    '赠品未收到，补偿差价', '送货延误，给予补偿', '价格调整，退还差价',
    ]
HISTORY_TASK_RESULTS = [
    '已联系客户，已下单', '已联系客户，暂不需要', '电话无人接听，已发短信',
    '客户问题已解决', '已安排换货',
    ]
HISTORY_AFTER_SALES = [
    '按摩椅异响上门检修', '空气炸锅不加热', '换货寄回', '发票补开', '少发配件',
    ]
# (question with {product}, answer)
HISTORY_QUESTIONS = [
    ('{product}现在还有优惠吗？', '节目期间订购享电视特价，另有赠品。'),
    ('{product}怎么使用？', '已向客户介绍使用方法，说明书第3页有图示。'),
    ('{product}保修多久？', '整机保修一年，七天无理由退换。'),
    ('我的订单什么时候发货？', '已查询，订单审核通过后次日发货。'),
    ('{product}可以货到付款吗？', '支持货到付款，也可在线预付。'),
    ('快递到了没有？', '已查询物流，包裹正在派送中。'),
    ('{product}老人用安全吗？', '产品有过热保护，适合老人使用。'),
    ]
