"""Shared pure rules: phone numbers and pasted Chinese addresses."""
import pytest

from tvcc import address, phone


@pytest.mark.parametrize('raw, e164', [
    ('13800138000', '+8613800138000'),
    ('+86 138 0013 8000', '+8613800138000'),
    ('008613800138000', '+8613800138000'),
    ('020-8888 7777', '+862088887777'),
    ('400-820-1001', '+864008201001'),
    ])
def test_numbers_have_one_normal_form(raw, e164):
    assert phone.normalize(raw) == e164


@pytest.mark.parametrize('raw', ['12345', '', None, '1380013800', 'abc'])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(phone.InvalidPhoneNumber):
        phone.normalize(raw)
    assert phone.normalize_or_none(raw) is None


def test_normalize_field_raises_the_callers_error():
    values = {'hotline': '400 820 1001'}
    assert phone.normalize_field(values, 'hotline', ValueError) == {
        'hotline': '+864008201001'}
    with pytest.raises(KeyError, match='400-12'):
        phone.normalize_field({'hotline': '400-12'}, 'hotline', KeyError)


@pytest.mark.parametrize('text, expected', [
    ('广东省深圳市南山区科技园科苑路15号 王芳 13800138000',
        ('CN-GD', '深圳市', '南山区', '科技园科苑路15号', '+8613800138000',
            '王芳')),
    ('上海浦东新区张江路1号',
        ('CN-SH', '上海市', '浦东新区', '张江路1号', None, None)),
    ('浙江杭州西湖区文三路100号 310012',
        ('CN-ZJ', '杭州市', '西湖区', '文三路100号', None, None)),
    ('内蒙古自治区呼和浩特市新城区中山路1号',
        ('CN-NM', '呼和浩特市', '新城区', '中山路1号', None, None)),
    ])
def test_pasted_addresses_are_split(text, expected):
    parsed = address.parse(text)
    assert (parsed.province, parsed.city, parsed.district, parsed.street,
        parsed.phone, parsed.name) == expected
    assert parsed.complete


def test_partial_address_is_not_complete():
    parsed = address.parse('四川省成都市武侯区')
    assert (parsed.province, parsed.city, parsed.district) == (
        'CN-SC', '成都市', '武侯区')
    assert not parsed.complete
