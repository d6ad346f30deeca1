// Each agency's lookup over its own table. Names match case-insensitively after Unicode
// normalisation; dates and document numbers exactly; a NINO alone is enough where DWP and
// HMRC hold one. No match answers { matched: false } and nothing else.
import type { Db } from '../../kernel/db.js';

interface Who {
  nino: string;
  given: string;
  family: string;
  birth: string;
}
const NO = { matched: false } as const;
const today = () => new Date().toISOString().slice(0, 10);

export function lookups(db: Db) {
  async function personBy(
    w: Who,
  ): Promise<{ id: string; given_name: string; family_name: string; birth_date: string; address: unknown } | null> {
    const { rows } = w.nino
      ? await db.query(`SELECT id, given_name, family_name, birth_date, address FROM registries.people WHERE nino = $1`, [w.nino])
      : await db.query(
          `SELECT id, given_name, family_name, birth_date, address FROM registries.people
            WHERE lower(family_name) = lower($1) AND lower(given_name) = lower($2) AND birth_date = $3::date LIMIT 2`,
          [w.family, w.given, w.birth],
        );
    if (rows.length !== 1) return null; // none, or two people nobody can tell apart: no match
    const p = rows[0] as any;
    if (w.nino && w.family && p.family_name.toLowerCase() !== w.family.toLowerCase()) return null;
    return p;
  }
  /** An identity document by number, if it belongs to the person described (and has the expiry given). */
  async function documentOf(table: string, numberColumn: string, w: Who & { number: string; expiry: string }) {
    const { rows } = await db.query<any>(
      `SELECT d.*, p.given_name, p.family_name, p.birth_date, p.address FROM ${table} d JOIN registries.people p ON p.id = d.person_id
        WHERE d.${numberColumn} = $1`,
      [w.number],
    );
    const r = rows[0];
    if (!r || r.family_name.toLowerCase() !== w.family.toLowerCase() || r.birth_date !== w.birth) return null;
    if ((w.given && r.given_name.toLowerCase() !== w.given.toLowerCase()) || (w.expiry && r.expiry_date !== w.expiry)) return null;
    const common = {
      matched: true,
      valid: r.status === 'valid' && r.expiry_date >= today(),
      given_name: r.given_name,
      family_name: r.family_name,
      birth_date: r.birth_date,
      expiry_date: r.expiry_date,
      address: r.address,
    };
    return { row: r, common };
  }
  return {
    async benefits(w: Who) {
      const p = await personBy(w);
      if (!p) return NO;
      const { rows } = await db.query<{
        benefit: string;
        component: string | null;
        rate: string | null;
        points: number | null;
        start_date: string;
      }>(
        `SELECT benefit, component, rate, points, start_date FROM registries.dwp_awards WHERE person_id = $1 AND (end_date IS NULL OR end_date >= current_date)`,
        [p.id],
      );
      const pip = (c: string) => rows.find((r) => r.benefit === 'PIP' && r.component === c);
      const dla = rows.find((r) => r.benefit === 'DLA');
      return {
        matched: true,
        pip_mobility: pip('mobility')?.rate ?? null,
        pip_mobility_points: pip('mobility')?.points ?? null,
        pip_daily_living: pip('daily_living')?.rate ?? null,
        dla_mobility_rate: dla?.rate ?? null,
        universal_credit: rows.some((r) => r.benefit === 'UC'),
        award_start: rows.map((r) => r.start_date).sort()[0] ?? null,
      };
    },
    async licence(w: Who & { number: string; expiry: string }) {
      const r = await documentOf('registries.dvla_licences', 'licence_number', w);
      return r ? { ...r.common, categories: r.row.categories.split(','), penalty_points: r.row.penalty_points } : NO;
    },
    async passport(w: Who & { number: string; expiry: string }) {
      const r = await documentOf('registries.hmpo_passports', 'passport_number', w);
      return r ? { ...r.common, issuing_country: 'GBR' } : NO;
    },
    async income(w: Who, taxYear: string) {
      const p = await personBy(w);
      if (!p) return NO;
      const { rows } = await db.query<{ tax_year: string; band: string }>(
        `SELECT tax_year, band FROM registries.hmrc_income WHERE person_id = $1 AND ($2 = '' OR tax_year = $2) ORDER BY tax_year DESC LIMIT 1`,
        [p.id, taxYear],
      );
      return rows[0] ? { matched: true, tax_year: rows[0].tax_year, income_band: rows[0].band } : NO;
    },
    async councilTax(council: string, postcode: string, w: Who) {
      const { rows } = await db.query<any>(
        `SELECT c.* FROM registries.council_tax c JOIN registries.people p ON p.id = c.person_id
          WHERE c.council = $1 AND upper(p.postcode) = $2 AND lower(p.family_name) = lower($3) AND ($4 = '' OR lower(p.given_name) = lower($4))`,
        [council, postcode, w.family, w.given],
      );
      if (rows.length !== 1) return NO;
      const r = rows[0];
      return {
        matched: true,
        account_reference: r.account_ref,
        band: r.band,
        single_person_discount: r.single_person_discount,
        council_tax_reduction: r.council_tax_reduction,
      };
    },
    async birth(w: Who) {
      const { rows } = await db.query<any>(
        `SELECT * FROM registries.births WHERE lower(family_name) = lower($1) AND lower(given_name) = lower($2) AND birth_date = $3::date LIMIT 2`,
        [w.family, w.given, w.birth],
      );
      if (rows.length !== 1) return NO;
      const r = rows[0];
      return {
        matched: true,
        entry_reference: r.entry_reference,
        place_of_birth: r.place_of_birth,
        registration_district: r.district,
        mother_name: r.mother_name,
        father_name: r.father_name,
      };
    },
  };
}
