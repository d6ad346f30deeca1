// AddressBase code lists and the descriptions OS Places shows beside each code.

export const LOGICAL_STATUS: Record<string, string> = {
  1: 'APPROVED',
  3: 'ALTERNATIVE',
  5: 'CANDIDATE',
  6: 'PROVISIONAL',
  7: 'REJECTED INTERNAL',
  8: 'HISTORICAL',
  9: 'REJECTED EXTERNAL',
};

export const BLPU_STATE: Record<string, string> = {
  1: 'Under construction',
  2: 'In use',
  3: 'Unoccupied / vacant / derelict',
  4: 'Demolished',
  6: 'Planning permission granted',
};

export const POSTAL_ADDRESS: Record<string, string> = {
  C: 'A record which is linked to PAF',
  D: 'A record which is linked to PAF',
  L: 'A record which is identified as postal based on Local Authority information',
  N: 'Not a postal address',
  S: 'A single address',
};

export const COUNTRY: Record<string, string> = {
  E: 'This record is within England',
  W: 'This record is within Wales',
  S: 'This record is within Scotland',
  N: 'This record is within Northern Ireland',
  L: 'This record is within the Channel Islands',
  M: 'This record is within the Isle of Man',
  J: 'This record is not assigned to a country as it falls outside of the land boundaries used',
};

export const STREET_STATE: Record<string, string> = { 1: 'Under construction', 2: 'Open', 4: 'Permanently closed' };
export const STREET_CLASSIFICATION: Record<string, string> = {
  4: 'Pedestrian way or footpath',
  6: 'Cycletrack or cycleway',
  8: 'All vehicles',
  9: 'Restricted byway',
  10: 'Bridleway',
};

/** The AddressBase Premium classification scheme: primary, secondary and tertiary codes used here. */
export const CLASSIFICATION: Record<string, string> = {
  C: 'Commercial',
  CA: 'Agricultural',
  CC: 'Community Services',
  CE: 'Education',
  CH: 'Hotel / Motel / Boarding / Guest House',
  CI: 'Industrial Applicable to manufacturing, engineering, maintenance, storage / wholesale distribution and extraction sites',
  CM: 'Medical',
  CO: 'Office',
  CO01: 'Office / Work Studio',
  CO01GV: 'Central Government Service',
  CO01LG: 'Local Government Service',
  CR: 'Retail',
  CR01: 'Bank / Financial Service',
  CR06: 'Public House / Bar / Nightclub',
  CR07: 'Restaurant / Cafeteria',
  CR08: 'Shop / Showroom',
  CS: 'Storage Land',
  CT: 'Transport',
  CU: 'Utility',
  CX: 'Emergency / Rescue Service',
  CZ: 'Information',
  L: 'Land',
  M: 'Military',
  O: 'Other (Ordnance Survey Only)',
  P: 'Parent Shell',
  PP: 'Property Shell',
  PS: 'Street Record',
  R: 'Residential',
  RB: 'Ancillary Building',
  RC: 'Car Park Space',
  RD: 'Dwelling',
  RD01: 'Caravan',
  RD02: 'Detached',
  RD03: 'Semi-Detached',
  RD04: 'Terraced',
  RD06: 'Self Contained Flat (Includes Maisonette / Apartment)',
  RD07: 'House Boat',
  RD08: 'Sheltered Accommodation',
  RD10: 'Privately Owned Holiday Caravan / Chalet',
  RG: 'Garage',
  RH: 'House In Multiple Occupation',
  RI: 'Residential Institution',
  U: 'Unclassified',
  X: 'Dual Use',
  Z: 'Object of Interest',
  ZW: 'Place Of Worship',
  ZW99CH: 'Church',
};

export function classificationDescription(code: string | null | undefined): string | undefined {
  if (!code) return undefined;
  for (let n = code.length; n > 0; n--) {
    const d = CLASSIFICATION[code.slice(0, n)];
    if (d) return d;
  }
  return undefined;
}

/** The local authorities (custodians) of the generated demo data, and OS's own code. */
export const CUSTODIANS: Record<string, string> = {};
export function registerCustodian(code: number, name: string): void {
  CUSTODIANS[String(code)] = name;
}
registerCustodian(7655, 'ORDNANCE SURVEY');
