"""Phone numbers, normalised in exactly one place.

Every model that stores a number and every lookup by caller id goes through
:func:`normalize`, so "13800138000", "+86 138 0013 8000" and "008613800138000"
are the same customer.
"""
import re

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, geocoder

DEFAULT_REGION = 'CN'
# A mainland area code, with or without its trunk prefix 0 (021, 0755, 10).
_AREA_CODE = re.compile(r'0?([1-9][0-9]{1,2})')
# A local landline number as dialled inside its area: 7 or 8 digits, never
# starting with 0 (trunk prefix) or 1 (mobiles and service numbers).
_LOCAL_NUMBER = re.compile(r'[2-9][0-9]{6,7}')


class InvalidPhoneNumber(ValueError):
    "The text is not a valid phone number"

    def __init__(self, raw):
        super().__init__(raw)
        self.raw = raw


def area_code(value):
    """The digits of a mainland area code without its 0 ('0755' -> '755'),
    or None when value is not one"""
    match = _AREA_CODE.fullmatch((value or '').strip())
    return match.group(1) if match else None


def with_area_code(raw, area):
    """raw, completed with the area code when it is a local landline number
    without one (some trunks deliver local callers so: 87654321 in
    Shenzhen is 0755 87654321); any other text is returned as it is"""
    text = (raw or '').strip()
    digits = re.sub(r'[ -]', '', text)
    code = area_code(area)
    if code and _LOCAL_NUMBER.fullmatch(digits):
        return f'0{code}{digits}'
    return text


def parse(raw, region=DEFAULT_REGION, area=None):
    """Return a valid phonenumbers.PhoneNumber or raise InvalidPhoneNumber

    area: the centre's area code; a local number without one is read in
    that area (see with_area_code).
    """
    text = with_area_code(raw, area) if area else (raw or '').strip()
    if not text:
        raise InvalidPhoneNumber(raw)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(raw)
    return number


def normalize(raw, region=DEFAULT_REGION, area=None):
    "Return the E.164 form of raw (e.g. '+8613800138000')"
    return phonenumbers.format_number(
        parse(raw, region, area), PhoneNumberFormat.E164)


def normalize_or_none(raw, region=DEFAULT_REGION, area=None):
    "Return the E.164 form of raw, or None when it is not a valid number"
    try:
        return normalize(raw, region, area)
    except InvalidPhoneNumber:
        return None


def normalize_field(values, name, invalid):
    """Normalise values[name] in place, as every model storing a number does

    invalid(raw) returns the exception to raise (in the user's language)
    when the text is not a phone number.
    """
    raw = values.get(name)
    if raw:
        try:
            values[name] = normalize(raw)
        except InvalidPhoneNumber:
            raise invalid(raw) from None
    return values


def national(raw, region=DEFAULT_REGION):
    "Return the digits to dial inside the country (e.g. '02088887777')"
    number = parse(raw, region)
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL).replace(' ', '').replace('-', '')


def is_mobile(raw, region=DEFAULT_REGION):
    return phonenumbers.number_type(parse(raw, region)) in {
        PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def location(raw, region=DEFAULT_REGION, lang='zh'):
    "Return the province/city a number belongs to ('广东省深圳市'), or ''"
    number = parse(raw, region)
    place = geocoder.description_for_number(number, lang)
    if place in {'中国', 'China'}:
        return ''
    return place


# What an agent may dial from the desk, as the dialplan's tvcc-dialer-out
# lets through (the two say the same; the dialplan is the last word): a
# mainland mobile (1[3-9] + 9 digits, not the 160/161/164 service ranges), a
# landline (0 + area code + number, 10 to 12 digits), international only
# when the outbound trunk allows it.
_DIALABLE_MOBILE = re.compile(r'1[3-9][0-9]{9}')
_SERVICE_MOBILE = re.compile(r'16[014][0-9]{8}')
_DIALABLE_LANDLINE = re.compile(r'0[1-9][0-9]{8,10}')


def dialable(raw, international=False, region=DEFAULT_REGION):
    """Whether a valid number (any form) may be dialled out: see above"""
    number = parse(raw, region)
    if number.country_code != phonenumbers.country_code_for_region(region):
        return bool(international)
    digits = national(raw, region)
    if _SERVICE_MOBILE.fullmatch(digits):
        return False
    return bool(_DIALABLE_MOBILE.fullmatch(digits)
        or _DIALABLE_LANDLINE.fullmatch(digits))
