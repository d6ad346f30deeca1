// The AddressBase Premium record types, in the column order of the CSV supply (after
// RECORD_IDENTIFIER, CHANGE_TYPE and PRO_ORDER), with their tables and primary keys. Both
// readers (CSV and GML) produce AbpRecord values; the importer writes them.

export type ColType = 'bigint' | 'int' | 'float' | 'date' | 'text';
export interface Col {
  name: string;
  type: ColType;
  gml: string;
}
export interface RecordDef {
  type: number;
  name: string;
  table: string;
  key: string[];
  cols: Col[];
}

/** Column name → the GML element name (camelCase), unless given. */
function cols(spec: string): Col[] {
  return spec
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => {
      const [name, type = 'text', gml] = s.split(':');
      const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      return { name, type: type as ColType, gml: gml ?? camel };
    });
}
const DATES = 'start_date:date end_date:date last_update_date:date entry_date:date';

export const RECORDS: Record<number, RecordDef> = {
  11: {
    type: 11,
    name: 'Street',
    table: 'street',
    key: ['usrn'],
    cols: cols(`usrn:bigint record_type:int swa_org_ref_naming:int state:int state_date:date
    street_surface:int street_classification:int version:int street_start_date:date:startDate street_end_date:date:endDate last_update_date:date
    record_entry_date:date:entryDate street_start_x:float street_start_y:float street_start_lat:float street_start_long:float
    street_end_x:float street_end_y:float street_end_lat:float street_end_long:float street_tolerance:int`),
  },
  15: {
    type: 15,
    name: 'Street Descriptor',
    table: 'street_descriptor',
    key: ['usrn', 'language'],
    cols: cols(`usrn:bigint street_description locality:text:locality
    town_name administrative_area language ${DATES}`),
  },
  21: {
    type: 21,
    name: 'BLPU',
    table: 'blpu',
    key: ['uprn'],
    cols: cols(`uprn:bigint logical_status:int blpu_state:int blpu_state_date:date
    parent_uprn:bigint:parentUPRN x_coordinate:float y_coordinate:float latitude:float longitude:float rpc:int local_custodian_code:int country
    ${DATES} addressbase_postal postcode_locator multi_occ_count:int`),
  },
  23: {
    type: 23,
    name: 'Application Cross Reference',
    table: 'xref',
    key: ['xref_key'],
    cols: cols(`uprn:bigint xref_key:text:xRefKey cross_reference
    version:int source ${DATES}`),
  },
  24: {
    type: 24,
    name: 'LPI',
    table: 'lpi',
    key: ['lpi_key'],
    cols: cols(`uprn:bigint lpi_key language logical_status:int ${DATES}
    sao_start_number:int sao_start_suffix sao_end_number:int sao_end_suffix sao_text pao_start_number:int pao_start_suffix pao_end_number:int
    pao_end_suffix pao_text usrn:bigint usrn_match_indicator area_name level official_flag`),
  },
  28: {
    type: 28,
    name: 'Delivery Point Address',
    table: 'dpa',
    key: ['udprn'],
    cols: cols(`uprn:bigint udprn:bigint organisation_name department_name
    sub_building_name building_name building_number:int dependent_thoroughfare thoroughfare double_dependent_locality dependent_locality post_town
    postcode postcode_type delivery_point_suffix welsh_dependent_thoroughfare welsh_thoroughfare welsh_double_dependent_locality
    welsh_dependent_locality welsh_post_town po_box_number process_date:date ${DATES}`),
  },
  30: { type: 30, name: 'Successor', table: 'successor', key: ['succ_key'], cols: cols(`uprn:bigint succ_key ${DATES} successor:bigint`) },
  31: {
    type: 31,
    name: 'Organisation',
    table: 'organisation',
    key: ['org_key'],
    cols: cols(`uprn:bigint org_key organisation legal_name ${DATES}`),
  },
  32: {
    type: 32,
    name: 'Classification',
    table: 'classification',
    key: ['class_key'],
    cols: cols(`uprn:bigint class_key classification_code
    class_scheme scheme_version ${DATES}`),
  },
};

/** Header (10), metadata (29) and trailer (99) describe a file; they are checked, not stored. */
export const HEADER_COLS = [
  'RECORD_IDENTIFIER',
  'CUSTODIAN_NAME',
  'LOCAL_CUSTODIAN_CODE',
  'PROCESS_DATE',
  'VOLUME_NUMBER',
  'ENTRY_DATE',
  'TIME_STAMP',
  'VERSION',
  'FILE_TYPE',
];
export const METADATA_COLS = [
  'RECORD_IDENTIFIER',
  'GAZ_NAME',
  'GAZ_SCOPE',
  'TER_OF_USE',
  'LINKED_DATA',
  'GAZ_OWNER',
  'NGAZ_FREQ',
  'CUSTODIAN_NAME',
  'CUSTODIAN_UPRN',
  'LOCAL_CUSTODIAN_CODE',
  'CO_ORD_SYSTEM',
  'CO_ORD_UNIT',
  'META_DATE',
  'CLASS_SCHEME',
  'GAZ_DATE',
  'LANGUAGE',
  'CHARACTER_SET',
];
export const TRAILER_COLS = ['RECORD_IDENTIFIER', 'NEXT_VOLUME_NUMBER', 'RECORD_COUNT', 'ENTRY_DATE', 'TIME_STAMP'];

export type ChangeType = 'I' | 'U' | 'D';
export interface AbpRecord {
  type: number;
  change: ChangeType;
  /** Values in RECORDS[type].cols order; null when empty. Already checked against the column types. */
  values: Array<string | null>;
  /** Where it came from, for error messages. */
  line: number;
}

/** A record that cannot be imported, with where it is. */
export class AbpFormatError extends Error {
  constructor(
    public file: string,
    public problems: Array<{ line: number; message: string }>,
  ) {
    super(
      `${file} is not valid AddressBase Premium: ${problems
        .slice(0, 5)
        .map((p) => `line ${p.line}: ${p.message}`)
        .join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    );
    this.name = 'AbpFormatError';
  }
}

const CHECKS: Record<ColType, RegExp> = {
  bigint: /^-?\d{1,15}$/,
  int: /^-?\d{1,9}$/,
  float: /^-?(\d+\.?\d*|\.\d+)(E[-+]?\d+)?$/i,
  date: /^\d{4}-\d{2}-\d{2}$/,
  text: /^/,
};

/** Checks one value; returns an error message or null. */
export function checkValue(col: Col, v: string | null): string | null {
  if (v === null) return null;
  if (!CHECKS[col.type].test(v))
    return `${col.name.toUpperCase()} "${v.slice(0, 40)}" is not ${col.type === 'date' ? 'a date (YYYY-MM-DD)' : col.type === 'text' ? 'text' : 'a number'}`;
  return null;
}

/** The required columns: a record without its key cannot be applied. */
export function missingKey(def: RecordDef, values: Array<string | null>): string | null {
  for (const k of [...def.key, ...(def.cols[0].name === 'uprn' ? ['uprn'] : [])]) {
    const i = def.cols.findIndex((c) => c.name === k);
    if (values[i] === null || values[i] === '') return `${def.name} record has no ${k.toUpperCase()}`;
  }
  return null;
}
