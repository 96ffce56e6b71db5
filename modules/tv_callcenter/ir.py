# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import polib

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Rule(metaclass=PoolMeta):
    "Record rules may use Eval('user_id') on the models of user_models()"
    __name__ = 'ir.rule'

    @classmethod
    def user_models(cls):
        "Models whose rules depend on who the user is (agents see their own)"
        return {
            'callcenter.call', 'callcenter.agent',
            'callcenter.agent.state_log', 'party.party',
            }

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in cls.user_models():
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & cls.user_models():
            key = (*key, Transaction().user)
        return key


class UIMenu(metaclass=PoolMeta):
    """Tryton's generic menus that our own menus replace are hidden from
    the roles that have ours: one "customer" and one "order" entry each"""
    __name__ = 'ir.ui.menu'

    replaced = fields.Function(fields.Boolean("Replaced"),
        'get_replaced', searcher='search_replaced')

    @classmethod
    def replaced_menus(cls):
        """{menu XML id: group XML ids that still see it}; administrators
        see every menu"""
        return {}

    @classmethod
    def replaced_ids(cls):
        "The ids of the menus replaced for the current user"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        groups = set(User.get_groups())

        def group_id(xml_id):
            module, fs_id = xml_id.split('.')
            try:
                return ModelData.get_id(module, fs_id)
            except KeyError:
                return None
        if group_id('tv_callcenter.group_admin') in groups:
            return []
        ids = []
        for menu, keep in cls.replaced_menus().items():
            if groups & {group_id(g) for g in keep}:
                continue
            menu_id = group_id(menu)
            if menu_id is not None:
                ids.append(menu_id)
        return ids

    def get_replaced(self, name):
        return self.id in self.replaced_ids()

    @classmethod
    def search_replaced(cls, name, clause):
        _, operator, value = clause[:3]
        hide = (operator == '=') == bool(value)
        return [('id', 'in' if hide else 'not in', cls.replaced_ids())]


class Translation(metaclass=PoolMeta):
    __name__ = 'ir.translation'

    @classmethod
    def translation_import(cls, lang, module, po_path):
        """Let locale/override/*.po also confirm fuzzy upstream translations

        Tryton overrides another module's translation only when the value
        differs; an upstream entry that is right but marked fuzzy stays
        fuzzy and is never shown. Our override files confirm those too.
        """
        count = super().translation_import(lang, module, po_path)
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        paths = [po_path] if isinstance(po_path, str) else po_path
        wanted = {}
        for path in paths:
            for entry in polib.pofile(path):
                if entry.obsolete or 'fuzzy' in entry.flags:
                    continue
                translation, res_id = cls.from_poentry(entry)
                if '.' not in res_id:
                    continue
                res_module, fs_id = res_id.split('.')
                res_id = ModelData.get_id(res_module, fs_id) if fs_id else -1
                src = translation.src if translation.type in {
                    'report', 'view', 'wizard_button', 'selection'} else None
                wanted[(res_module, translation.type, translation.name,
                        res_id, src, translation.value)] = True
        if not wanted:
            return count
        fuzzy = cls.search([
                ('lang', '=', lang),
                ('module', 'in', list({key[0] for key in wanted})),
                ('fuzzy', '=', True),
                ])
        to_confirm = [t for t in fuzzy
            if (t.module, t.type, t.name, t.res_id,
                t.src if t.type in {
                    'report', 'view', 'wizard_button', 'selection'} else None,
                t.value) in wanted]
        if to_confirm:
            cls.write(to_confirm, {
                    'fuzzy': False,
                    'overriding_module': module,
                    })
        return count
