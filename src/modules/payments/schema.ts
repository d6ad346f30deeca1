// TypeBox schemas of GOV.UK Pay's request and response shapes: they document the API in
// /openapi.json and serialise responses. Request checks with Pay's exact error codes are in
// validation.ts (see there for why); field names here follow publicapi_spec.json.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Opt = <T extends TSchema>(s: T) => Type.Optional(s);
const Link = Type.Object({ href: Type.String(), method: Type.String() });
const PostLink = Type.Object({
  href: Type.String(),
  method: Type.String(),
  type: Opt(Type.String()),
  params: Opt(Type.Record(Type.String(), Type.String())),
});
const NavLink = Type.Object({ href: Type.String() });

export const Address = Type.Object({
  line1: Opt(Type.String({ maxLength: 255 })),
  line2: Opt(Type.String({ maxLength: 255 })),
  postcode: Opt(Type.String({ maxLength: 25 })),
  city: Opt(Type.String({ maxLength: 255 })),
  country: Opt(Type.String({ description: 'ISO-3166-1-alpha-2' })),
});
const Metadata = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  description: '1 to 10 keys of up to 30 characters; values are strings (up to 100 characters), numbers or booleans',
});

export const CreatePaymentRequest = Type.Object({
  amount: Type.Integer({ minimum: 1, maximum: 10000000, description: 'In pence' }),
  description: Type.String({ maxLength: 255 }),
  reference: Type.String({ maxLength: 255 }),
  return_url: Opt(Type.String({ maxLength: 2000, description: 'Required unless authorisation_mode is moto_api or agreement' })),
  email: Opt(Type.String({ maxLength: 254 })),
  language: Opt(Type.Union([Type.Literal('en'), Type.Literal('cy')])),
  delayed_capture: Opt(Type.Boolean()),
  moto: Opt(Type.Boolean()),
  metadata: Opt(Metadata),
  prefilled_cardholder_details: Opt(Type.Object({ cardholder_name: Opt(Type.String({ maxLength: 255 })), billing_address: Opt(Address) })),
  authorisation_mode: Opt(Type.Union([Type.Literal('web'), Type.Literal('moto_api'), Type.Literal('agreement')])),
  agreement_id: Opt(Type.String({ minLength: 26, maxLength: 26 })),
  set_up_agreement: Opt(Type.String({ minLength: 26, maxLength: 26 })),
  agreement_payment_type: Opt(Type.Union([Type.Literal('instalment'), Type.Literal('recurring'), Type.Literal('unscheduled')])),
});

const State = Type.Object({
  status: Type.String(),
  finished: Type.Boolean(),
  code: Opt(Type.String()),
  message: Opt(Type.String()),
  can_retry: Opt(Type.Boolean()),
});
const CardDetails = Type.Object({
  last_digits_card_number: Type.String(),
  first_digits_card_number: Type.String(),
  cardholder_name: Type.String(),
  expiry_date: Type.String(),
  billing_address: Opt(Address),
  card_brand: Type.String(),
  card_type: Opt(Type.String()),
});
const PaymentFields = {
  amount: Type.Integer(),
  description: Type.String(),
  reference: Type.String(),
  language: Type.String(),
  email: Opt(Type.String()),
  state: State,
  payment_id: Type.String(),
  payment_provider: Type.String(),
  created_date: Type.String(),
  refund_summary: Type.Object({ status: Type.String(), amount_available: Type.Integer(), amount_submitted: Type.Integer() }),
  settlement_summary: Type.Object({ capture_submit_time: Opt(Type.String()), captured_date: Opt(Type.String()) }),
  card_details: Opt(CardDetails),
  card_brand: Opt(Type.String({ deprecated: true })),
  delayed_capture: Type.Boolean(),
  moto: Type.Boolean(),
  return_url: Opt(Type.String()),
  authorisation_mode: Type.String(),
  agreement_id: Opt(Type.String()),
  agreement_payment_type: Opt(Type.String()),
  metadata: Opt(Metadata),
  provider_id: Opt(Type.String()),
  authorisation_summary: Opt(Type.Object({ three_d_secure: Type.Object({ required: Type.Boolean() }) })),
};
const ActionLinks = {
  self: Link,
  events: Link,
  refunds: Link,
  cancel: Opt(Link),
  capture: Opt(Link),
};
export const Payment = Type.Object({
  ...PaymentFields,
  _links: Type.Object({ ...ActionLinks, next_url: Opt(Link), next_url_post: Opt(PostLink), auth_url_post: Opt(PostLink) }),
});
export const PaymentForSearch = Type.Object({ ...PaymentFields, _links: Type.Object(ActionLinks) });

const SearchLinks = Type.Object({
  self: NavLink,
  first_page: NavLink,
  last_page: NavLink,
  prev_page: Opt(NavLink),
  next_page: Opt(NavLink),
});
const pageFields = <T extends TSchema>(item: T) => ({
  total: Type.Integer(),
  count: Type.Integer(),
  page: Type.Integer(),
  results: Type.Array(item),
});
const page = <T extends TSchema>(item: T) => Type.Object({ ...pageFields(item), _links: SearchLinks });

export const PaymentSearch = page(PaymentForSearch);

export const PaymentEvents = Type.Object({
  payment_id: Type.String(),
  events: Type.Array(
    Type.Object({ payment_id: Type.String(), state: State, updated: Type.String(), _links: Type.Object({ payment_url: Link }) }),
  ),
  _links: Type.Object({ self: Link }),
});

export const RefundRequest = Type.Object({
  amount: Type.Integer({ minimum: 1, maximum: 10000000 }),
  refund_amount_available: Opt(
    Type.Integer({ minimum: 1, maximum: 10000000, description: 'If sent, must equal refund_summary.amount_available' }),
  ),
});
export const Refund = Type.Object({
  refund_id: Type.String(),
  created_date: Type.String(),
  amount: Type.Integer(),
  status: Type.Union([Type.Literal('submitted'), Type.Literal('success'), Type.Literal('error')]),
  settlement_summary: Type.Object({ settled_date: Opt(Type.String()) }),
  payment_id: Type.String(),
  _links: Type.Object({ self: Link, payment: Link }),
});
export const PaymentRefunds = Type.Object({
  payment_id: Type.String(),
  _links: Type.Object({ self: Link, payment: Link }),
  _embedded: Type.Object({ refunds: Type.Array(Refund) }),
});
export const RefundSearch = page(Refund);

export const CreateAgreementRequest = Type.Object({
  reference: Type.String({ minLength: 1, maxLength: 255 }),
  description: Type.String({ minLength: 1, maxLength: 255 }),
  user_identifier: Opt(Type.String({ minLength: 1, maxLength: 255 })),
});
/** The card an agreement keeps (what the API shows, never the card number), stored as JSON. */
export const PaymentInstrument = Type.Object({ type: Type.String(), created_date: Type.String(), card_details: CardDetails });
export type PaymentInstrumentJson = Static<typeof PaymentInstrument>;
export type PaymentJson = Static<typeof Payment>;
export type MetadataJson = Static<typeof Metadata>;
export const Agreement = Type.Object({
  agreement_id: Type.String(),
  reference: Type.String(),
  description: Type.String(),
  status: Type.Union([Type.Literal('created'), Type.Literal('active'), Type.Literal('cancelled'), Type.Literal('inactive')]),
  created_date: Type.String(),
  user_identifier: Opt(Type.String()),
  cancelled_date: Opt(Type.String()),
  payment_instrument: Opt(PaymentInstrument),
});
export const AgreementSearch = page(Agreement);

export const Dispute = Type.Object({
  amount: Type.Integer(),
  created_date: Type.String(),
  dispute_id: Type.String(),
  evidence_due_date: Opt(Type.String()),
  fee: Opt(Type.Integer()),
  net_amount: Opt(Type.Integer()),
  payment_id: Type.String(),
  reason: Type.String(),
  settlement_summary: Opt(Type.Object({ settled_date: Type.String() })),
  status: Type.String(),
  _links: Type.Object({ payment: Link }),
});
export const DisputeSearch = Type.Object({ ...pageFields(Dispute), links: SearchLinks }); // Pay names these `links`

export const AuthorisationRequest = Type.Object({
  one_time_token: Type.String({ minLength: 1 }),
  card_number: Type.String({ minLength: 12, maxLength: 19 }),
  cvc: Type.String({ minLength: 3, maxLength: 4 }),
  expiry_date: Type.String({ description: 'MM/YY' }),
  cardholder_name: Type.String({ maxLength: 255 }),
});

export const PayErrorBody = Type.Object({
  code: Opt(Type.String()),
  description: Type.String(),
  field: Opt(Type.String()),
  header: Opt(Type.String()),
});

const str = Type.String();
export const PaymentSearchQuery = Type.Object({
  reference: Opt(str),
  email: Opt(str),
  state: Opt(str),
  card_brand: Opt(str),
  from_date: Opt(str),
  to_date: Opt(str),
  page: Opt(str),
  display_size: Opt(str),
  cardholder_name: Opt(str),
  first_digits_card_number: Opt(str),
  last_digits_card_number: Opt(str),
  from_settled_date: Opt(str),
  to_settled_date: Opt(str),
  agreement_id: Opt(str),
});
export const RefundSearchQuery = Type.Object({
  from_date: Opt(str),
  to_date: Opt(str),
  from_settled_date: Opt(str),
  to_settled_date: Opt(str),
  page: Opt(str),
  display_size: Opt(str),
});
export const AgreementSearchQuery = Type.Object({ reference: Opt(str), status: Opt(str), page: Opt(str), display_size: Opt(str) });
export const DisputeSearchQuery = Type.Object({
  from_date: Opt(str),
  to_date: Opt(str),
  from_settled_date: Opt(str),
  to_settled_date: Opt(str),
  status: Opt(str),
  page: Opt(str),
  display_size: Opt(str),
});
