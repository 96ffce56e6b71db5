# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction
from trytond.modules.tv_callcenter.guard import ClientGuardMixin


class Template(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'product.template'

    gifts = fields.Many2Many(
        'product.template-product.product.gift', 'template', 'gift',
        "Gifts", help="Given free with every unit ordered (买一送一).")
    minimum_stock = fields.Float("Minimum Stock",
        help="Below this quantity the product is flagged at second review "
        "and in the product list.")


class TemplateGift(ClientGuardMixin, ModelSQL):
    __name__ = 'product.template-product.product.gift'
    __string__ = "Product Gift"
    template = fields.Many2One('product.template', "Template",
        required=True, ondelete='CASCADE')
    gift = fields.Many2One('product.product', "Gift", required=True,
        ondelete='CASCADE')


class Product(ClientGuardMixin, metaclass=PoolMeta):
    __name__ = 'product.product'

    stock_warning = fields.Function(fields.Boolean("Low Stock"),
        'get_stock_warning')

    def available_quantity(self):
        "What the warehouses can still promise (forecast)"
        pool = Pool()
        Location = pool.get('stock.location')
        Product = pool.get('product.product')
        warehouses = Location.search([('type', '=', 'warehouse')])
        if not warehouses:
            return 0
        with Transaction().set_context(
                locations=[w.id for w in warehouses], with_childs=True,
                forecast=True):
            return Product(self.id).forecast_quantity or 0

    def is_short(self, quantity):
        "Would selling quantity go below zero or the minimum stock?"
        return self.available_quantity() - quantity < (
            self.template.minimum_stock or 0)

    @classmethod
    def get_stock_warning(cls, products, name):
        return {p.id: bool(p.template.minimum_stock is not None
                and p.type == 'goods'
                and p.available_quantity() < p.template.minimum_stock)
            for p in products}
