# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""A campaign's numbers from the files marketing really sends (issue 11):
full-width digits, numbers kept as text the ways Excel does (="…", '…),
a title row, a header on two rows, the header repeated, and numbers Excel
wrote in scientific notation — reported on their rows, nothing lost."""
import io
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


class NumberImportTestCase(unittest.TestCase):
    "Campaign number import of real files"

    @classmethod
    def setUpClass(cls):
        # Customers of level blacklist come from tv_orders.
        activate_module(['tv_dialer', 'tv_orders'])

    def _campaign(self):
        pool = Pool()
        User = pool.get('res.user')
        Agent = pool.get('callcenter.agent')
        Queue = pool.get('callcenter.queue')
        Campaign = pool.get('dialer.campaign')
        user, = User.create([{'login': 'agent_import', 'name': "坐席"}])
        agent, = Agent.create([{'user': user, 'extension': '8090',
                    'device': 'simulated'}])
        queue, = Queue.create([{'code': 'q_import', 'name': "外呼",
                    'members': [('create', [{'agent': agent}])]}])
        campaign, = Campaign.create([{'name': "老客户回访", 'queue': queue,
                    'caller_id': '021 6123 4567'}])
        return campaign

    @with_transaction()
    def test_csv_with_full_width_and_text_marked_numbers(self):
        "Full-width, spaced and Excel-quoted numbers are the same numbers"
        Number = Pool().get('dialer.number')
        campaign = self._campaign()
        data = '\r\n'.join([
                '2025年11月 老客户回访名单,,',
                '客户姓名,手机号码,备注',
                '王芳,１３８００１３８０００,VIP',            # row 3
                '李雷,="13800138001",',                     # row 4
                '韩梅,\'13800138002,',                      # row 5
                '客户姓名,手机号码,备注',                      # the header again
                '张三,１３８\u3000００１３\u3000８００３,',    # row 7
                '李四,1.38001E+10,',                        # row 8
                '赵六,＋８６ １３８ ００１３ ８０００,',        # row 9: row 3
                ]).encode('gb18030')
        rows = Number.rows_from_file(data, 'numbers.csv')
        added, blocked, report = Number.add_to_campaign(campaign, rows)
        self.assertEqual((added, blocked), (4, 0))
        self.assertEqual(sorted((n.phone, n.name) for n in campaign.numbers),
            [('+8613800138000', "王芳"), ('+8613800138001', "李雷"),
                ('+8613800138002', "韩梅"), ('+8613800138003', "张三")])
        self.assertEqual([(row, raw) for row, raw, _ in report],
            [(8, '1.38001E+10'), (9, '+8613800138000')])
        self.assertIn('科学计数法', report[0][2])
        self.assertIn('row 3', report[1][2])

    @with_transaction()
    def test_xlsx_with_a_two_row_header_and_long_numbers(self):
        """An .xlsx whose header spans two rows (merged cells); a number
        cell longer than Excel keeps is reported, not guessed"""
        import openpyxl
        Number = Pool().get('dialer.number')
        campaign = self._campaign()
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in [
                ['客户信息', None, '订单'],
                ['姓名', '手机', None],
                ['王芳', 13800138000, 'SO1'],
                ['李雷', 1380013800123456, 'SO2'],
                ]:
            sheet.append(row)
        sheet.merge_cells('A1:B1')
        sheet.merge_cells('C1:C2')
        data = io.BytesIO()
        workbook.save(data)
        rows = Number.rows_from_file(data.getvalue(), 'numbers.xlsx')
        added, blocked, report = Number.add_to_campaign(campaign, rows)
        self.assertEqual([(n.phone, n.name, n.template_values)
                for n in campaign.numbers],
            [('+8613800138000', "王芳", {'订单': 'SO1'})])
        (row, raw, reason), = report
        self.assertEqual((row, raw), (4, '1380013800123456'))
        self.assertIn('15', reason)
