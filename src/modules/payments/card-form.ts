// The "Enter card details" form: read it, check it (brand, Luhn, expiry, security code,
// billing address, email) with GOV.UK-style messages in the payment's language, and give
// back what may be shown again. The security code is never given back; the card number
// only to re-fill the field the paying user just typed it into.
import type { FieldError } from '../../kernel/errors.js';
import { str, type FormBody } from '../../kernel/forms.js';
import { ACCEPTED_BRANDS, brandOf, digitsOnly, expiryInPast, luhnValid, parseExpiry } from './cards.js';
import type { CardForm } from './journey.js';

/**
 * Countries and territories offered for the billing address (ISO 3166-1 alpha-2), in the
 * order shown; their names are in locales/countries.{en,cy}.json (Welsh names from CLDR).
 */
export const COUNTRIES: readonly string[] = [
  'GB',
  'IE',
  'FR',
  'DE',
  'ES',
  'IT',
  'NL',
  'BE',
  'PT',
  'PL',
  'SE',
  'DK',
  'NO',
  'CH',
  'AT',
  'GR',
  'CY',
  'MT',
  'GI',
  'IM',
  'JE',
  'GG',
  'US',
  'CA',
  'AU',
  'NZ',
  'IN',
  'PK',
  'NG',
  'ZA',
  'AE',
  'CN',
  'JP',
];
const UK_POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface CardFormValues {
  card_number: string;
  expiry_month: string;
  expiry_year: string;
  cardholder_name: string;
  address_line1: string;
  address_line2: string;
  address_city: string;
  address_postcode: string;
  address_country: string;
  email: string;
}

export function readCardForm(
  body: FormBody | undefined,
  t: (k: string, p?: Record<string, string>) => string,
  now = new Date(),
): { form: CardForm | null; errors: FieldError[]; values: CardFormValues } {
  const values: CardFormValues = {
    card_number: str(body, 'card_number', 40),
    expiry_month: str(body, 'expiry_month', 4),
    expiry_year: str(body, 'expiry_year', 6),
    cardholder_name: str(body, 'cardholder_name', 300),
    address_line1: str(body, 'address_line1', 300),
    address_line2: str(body, 'address_line2', 300),
    address_city: str(body, 'address_city', 300),
    address_postcode: str(body, 'address_postcode', 30),
    address_country: str(body, 'address_country', 2) || 'GB',
    email: str(body, 'email', 300),
  };
  const cvc = str(body, 'cvc', 10);
  const errors: FieldError[] = [];
  const e = (field: string, key: string, p?: Record<string, string>) =>
    errors.push({ field, message: t(`payments.card.errors.${key}`, p) });

  const number = digitsOnly(values.card_number);
  const brand = brandOf(number);
  if (!number) e('card-no', 'cardNumberMissing');
  else if (!/^\d+$/.test(number) || !luhnValid(number) || (brand && !brand.lengths.includes(number.length)))
    e('card-no', 'cardNumberInvalid');
  else if (!brand || !ACCEPTED_BRANDS.includes(brand.id)) e('card-no', 'cardNotAccepted', { brand: brand?.label ?? number.slice(0, 6) });

  let expiry: { month: number; year: number } | null = null;
  if (!values.expiry_month && !values.expiry_year) e('expiry-month', 'expiryMissing');
  else if (!(expiry = parseExpiry(values.expiry_month, values.expiry_year))) e('expiry-month', 'expiryInvalid');
  else if (expiryInPast(expiry, now)) e('expiry-month', 'expiryPast');

  if (!values.cardholder_name) e('cardholder-name', 'nameMissing');
  else if (values.cardholder_name.length > 255) e('cardholder-name', 'nameTooLong');
  else if (/^[\d\s-]{12,}$/.test(values.cardholder_name)) e('cardholder-name', 'nameLooksLikeCard');

  const cvcLength = brand?.cvcLength ?? 3;
  if (!cvc) e('cvc', 'cvcMissing');
  else if (!new RegExp(`^\\d{${cvcLength}}$`).test(cvc)) e('cvc', 'cvcInvalid');

  if (!values.address_line1) e('address-line-1', 'line1Missing');
  else if (values.address_line1.length > 255) e('address-line-1', 'tooLong');
  if (values.address_line2.length > 255) e('address-line-2', 'tooLong');
  if (!values.address_city) e('address-city', 'cityMissing');
  else if (values.address_city.length > 255) e('address-city', 'tooLong');
  if (!COUNTRIES.includes(values.address_country)) e('address-country', 'countryInvalid');
  if (!values.address_postcode) e('address-postcode', 'postcodeMissing');
  else if (values.address_country === 'GB' && !UK_POSTCODE.test(values.address_postcode)) e('address-postcode', 'postcodeInvalid');

  if (!values.email) e('email', 'emailMissing');
  else if (!EMAIL.test(values.email) || values.email.length > 254) e('email', 'emailInvalid');

  if (errors.length || !brand || !expiry) return { form: null, errors, values };
  return {
    errors,
    values,
    form: {
      number,
      cvc,
      expiryMonth: expiry.month,
      expiryYear: expiry.year,
      cardholderName: values.cardholder_name,
      brand: { id: brand.id, label: brand.label },
      email: values.email,
      billingAddress: {
        line1: values.address_line1,
        ...(values.address_line2 ? { line2: values.address_line2 } : {}),
        city: values.address_city,
        postcode: values.address_country === 'GB' ? values.address_postcode.toUpperCase() : values.address_postcode,
        country: values.address_country,
      },
    },
  };
}
