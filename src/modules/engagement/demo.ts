// Demo consultations, so a new Cityscape shows engagement at work: an open one on the demo bin
// collection service (Glanfor, bilingual) and a closed one on reporting a pothole with its
// "you said, we did", linked to the decision already in the demo catalogue's log. People are
// anonymous demo participants. Everything is written by one SQL statement (a cold start pays
// one round trip here, after two cached catalogue reads); nothing when any consultation exists.
import type { Queryable } from '../../kernel/db.js';
import type { CatalogueService } from '../catalogue/index.js';
import { hashText } from './service.js';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

interface DemoConsultation {
  slug: string;
  title: string;
  title_cy?: string;
  question: string;
  question_cy?: string;
  background: string;
  background_cy?: string;
  opens: number;
  closes: number;
  people: number;
  options: Array<{ label: string; label_cy?: string }>;
  comments: string[];
  response?: { text: string; text_cy?: string; decision: string; at: number };
}

const DEMO: DemoConsultation[] = [
  {
    slug: 'check-your-bin-collection-day',
    title: 'Should glass be collected every fortnight?',
    title_cy: 'A ddylid casglu gwydr bob pythefnos?',
    question: 'Glass is collected once a month. Should we collect it every fortnight instead, with smaller boxes?',
    question_cy: 'Caiff gwydr ei gasglu unwaith y mis. A ddylem ei gasglu bob pythefnos yn lle hynny, gyda blychau llai?',
    background: 'Crews report overflowing glass boxes in the last week of each month. Fortnightly collections would need one more crew.',
    background_cy:
      "Mae criwiau'n adrodd bod blychau gwydr yn gorlifo yn wythnos olaf pob mis. Byddai angen un criw arall i gasglu bob pythefnos.",
    opens: -7,
    closes: 21,
    people: 24,
    options: [
      { label: 'Collect glass every fortnight', label_cy: 'Casglu gwydr bob pythefnos' },
      { label: 'Keep monthly collections', label_cy: 'Cadw casgliadau misol' },
    ],
    comments: [
      'Our box is full after two weeks, so fortnightly would stop bottles piling up by the back door.',
      'Smaller boxes would be easier to carry for older residents.',
      'Monthly is fine for us, the money would be better spent on food waste collections.',
    ],
  },
  {
    slug: 'report-a-pothole',
    title: 'How should we tell you when a pothole will be fixed?',
    question: 'When you report a pothole, what would you most like to know afterwards?',
    background: 'Most follow-up calls about pothole reports ask when the repair will happen.',
    opens: -120,
    closes: -75,
    people: 40,
    options: [{ label: 'Show the expected repair date on the report page' }, { label: 'Send a text when the repair is booked' }],
    comments: [
      'I reported the same pothole three times because I never knew if anyone had looked at it.',
      'A date on the page would be enough, I do not need more texts.',
      'Please say which potholes are urgent and which are not.',
    ],
    response: {
      text: 'You told us the thing you most wanted to know was when a repair would happen. We now show the expected repair date on every report page, from the contractor’s schedule.',
      decision: 'Publish expected repair times on the report page',
      at: -62,
    },
  },
];

export async function seedDemoEngagement(db: Queryable, catalogue: CatalogueService): Promise<boolean> {
  const rows = [];
  for (const d of DEMO) {
    const s = await catalogue.getServiceDetail(d.slug).catch(() => null);
    if (!s) continue; // the demo catalogue is not there: nothing to attach to
    const decision = d.response ? s.decisions.find((x) => x.decision === d.response!.decision) : undefined;
    if (d.response && !decision) continue;
    rows.push({
      ...d,
      service_id: s.id,
      organisation_id: s.organisation.id,
      opens_on: day(d.opens),
      closes_on: day(d.closes),
      comments: d.comments.map((body) => ({ body, hash: hashText(body) })),
      response: d.response
        ? {
            text: d.response.text,
            text_cy: d.response.text_cy ?? null,
            at: new Date(Date.now() + d.response.at * DAY).toISOString(),
            decision_id: decision!.id,
            decision: {
              id: decision!.id,
              decided_on: decision!.decided_on,
              decision: decision!.decision,
              decided_by: decision!.decided_by,
            },
          }
        : null,
    });
  }
  if (!rows.length) return false;
  const { rows: out } = await db.query<{ n: number }>(
    `WITH data AS (SELECT c FROM jsonb_array_elements($1::jsonb) c),
     con AS (
       INSERT INTO engagement.consultations (service_id, organisation_id, mode, subject, title, title_cy, question, question_cy,
              background, background_cy, eligibility, allow_anonymous, opens_on, closes_on, created_by, created_at,
              response, response_cy, response_decision_id, response_decision, responded_at, responded_by)
       SELECT (c->>'service_id')::uuid, (c->>'organisation_id')::uuid, 'consultation', 'general', c->>'title', c->>'title_cy',
              c->>'question', c->>'question_cy', c->>'background', c->>'background_cy', 'anyone', true,
              (c->>'opens_on')::date, (c->>'closes_on')::date, 'demo', (c->>'opens_on')::date,
              c->'response'->>'text', c->'response'->>'text_cy', (c->'response'->>'decision_id')::uuid, c->'response'->'decision',
              (c->'response'->>'at')::timestamptz, CASE WHEN c->'response' <> 'null' THEN 'demo' END
         FROM data WHERE NOT EXISTS (SELECT 1 FROM engagement.consultations)
       RETURNING id, service_id, title, opens_on),
     src AS (SELECT con.*, data.c FROM con JOIN data ON data.c->>'title' = con.title),
     opt AS (
       INSERT INTO engagement.options (consultation_id, service_id, position, label, label_cy)
       SELECT src.id, src.service_id, o.n - 1, o.o->>'label', o.o->>'label_cy'
         FROM src, jsonb_array_elements(src.c->'options') WITH ORDINALITY o(o, n)
       RETURNING id, consultation_id, service_id, position),
     par AS (
       INSERT INTO engagement.participants (consultation_id, service_id, person, pid, created_at)
       SELECT src.id, src.service_id, 'anon:demo-' || g, g, src.opens_on + make_interval(hours => g * 5)
         FROM src, generate_series(0, (src.c->>'people')::int - 1) g
       RETURNING id, consultation_id, service_id, pid, created_at),
     vot AS (
       -- Most people give a view on each option; more support the first than the second.
       INSERT INTO engagement.option_votes (option_id, participant_id, consultation_id, service_id, stance, at)
       SELECT opt.id, par.id, par.consultation_id, par.service_id,
              CASE WHEN (par.pid * 7 + opt.position * 3) % 10 < 7 - opt.position * 3 THEN 'support' ELSE 'oppose' END, par.created_at
         FROM par JOIN opt ON opt.consultation_id = par.consultation_id
        WHERE (par.pid + opt.position) % 4 <> 3
       RETURNING 1),
     com AS (
       INSERT INTO engagement.comments (consultation_id, service_id, participant_id, body, body_hash, created_at)
       SELECT par.consultation_id, par.service_id, par.id, k.k->>'body', k.k->>'hash', par.created_at
         FROM src CROSS JOIN LATERAL jsonb_array_elements(src.c->'comments') WITH ORDINALITY k(k, n)
         JOIN par ON par.consultation_id = src.id AND par.pid = (k.n - 1) * 3
       RETURNING 1)
     SELECT (SELECT count(*) FROM con)::int + 0 * (SELECT count(*) FROM vot) + 0 * (SELECT count(*) FROM com) AS n`,
    [JSON.stringify(rows)],
  );
  return (out[0]?.n ?? 0) > 0;
}
