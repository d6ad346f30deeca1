// Word lists for the demo address generator: towns (with their postcode areas, approximate
// National Grid centres and Welsh names), street name stems and types with Welsh forms,
// house and building names, businesses. Fictional councils; real-looking places.

export interface Town {
  name: string;
  cy?: string;
  country: 'E' | 'W' | 'S';
  area: string;
  x: number;
  y: number;
  custodian: number;
  council: string;
}

export const TOWNS: Town[] = [
  ['SOUTHAMPTON', '', 'E', 'SO', 442000, 112000],
  ['NEWCASTLE UPON TYNE', '', 'E', 'NE', 425000, 564000],
  ['LEEDS', '', 'E', 'LS', 430000, 433500],
  ['BRISTOL', '', 'E', 'BS', 359000, 173000],
  ['NORWICH', '', 'E', 'NR', 623000, 308500],
  ['EXETER', '', 'E', 'EX', 292000, 92500],
  ['READING', '', 'E', 'RG', 471500, 173500],
  ['OXFORD', '', 'E', 'OX', 451500, 206000],
  ['CAMBRIDGE', '', 'E', 'CB', 545000, 258500],
  ['YORK', '', 'E', 'YO', 460300, 451800],
  ['LEICESTER', '', 'E', 'LE', 458500, 304500],
  ['NOTTINGHAM', '', 'E', 'NG', 457000, 340000],
  ['SHEFFIELD', '', 'E', 'S', 435000, 387000],
  ['MANCHESTER', '', 'E', 'M', 384000, 398000],
  ['LIVERPOOL', '', 'E', 'L', 335000, 390500],
  ['BIRMINGHAM', '', 'E', 'B', 407000, 287000],
  ['COVENTRY', '', 'E', 'CV', 433500, 279000],
  ['BRIGHTON', '', 'E', 'BN', 531000, 104500],
  ['CANTERBURY', '', 'E', 'CT', 615000, 157800],
  ['PLYMOUTH', '', 'E', 'PL', 248000, 55000],
  ['CARLISLE', '', 'E', 'CA', 340000, 556000],
  ['LINCOLN', '', 'E', 'LN', 497500, 371500],
  ['IPSWICH', '', 'E', 'IP', 616500, 244500],
  ['BATH', '', 'E', 'BA', 375000, 164800],
  ['DURHAM', '', 'E', 'DH', 427300, 542400],
  ['TRURO', '', 'E', 'TR', 182600, 44700],
  ['LONDON', '', 'E', 'N', 531000, 186000],
  ['CARDIFF', 'CAERDYDD', 'W', 'CF', 318000, 176000],
  ['SWANSEA', 'ABERTAWE', 'W', 'SA', 265500, 193000],
  ['NEWPORT', 'CASNEWYDD', 'W', 'NP', 331000, 188000],
  ['WREXHAM', 'WRECSAM', 'W', 'LL', 333500, 350000],
  ['ABERYSTWYTH', 'ABERYSTWYTH', 'W', 'SY', 258500, 281500],
  ['CARMARTHEN', 'CAERFYRDDIN', 'W', 'SA', 241500, 220000],
  ['EDINBURGH', '', 'S', 'EH', 325500, 673500],
  ['GLASGOW', '', 'S', 'G', 259000, 665500],
  ['ABERDEEN', '', 'S', 'AB', 394000, 806000],
  ['DUNDEE', '', 'S', 'DD', 340000, 730500],
  ['INVERNESS', '', 'S', 'IV', 266500, 845000],
].map(([name, cy, country, area, x, y], i) => ({
  name: name as string,
  cy: (cy as string) || undefined,
  country: country as Town['country'],
  area: area as string,
  x: x as number,
  y: y as number,
  custodian: 1100 + i * 35,
  council: `${name} CITY COUNCIL`,
}));

export const STEMS =
  `HIGH STATION CHURCH MILL PARK VICTORIA QUEENS KINGS NEW SCHOOL CHAPEL MANOR GEORGE ALBERT WEST NORTH SOUTH EAST GREEN OAK ELM
  ASH BEECH BIRCH CEDAR WILLOW HAWTHORN ROWAN HOLLY MAPLE CHESTNUT LIME POPLAR LAUREL MEADOW ORCHARD BROOK RIVER BRIDGE CASTLE ABBEY PRIORY
  GRANGE FARM VALLEY FOREST WOOD LAKE SPRING WELL MARKET WATER CROSS MOOR HEATH FIELD BARN LODGE RECTORY VICARAGE SANDY STONE CLAY FERN
  HEATHER PRIMROSE BLUEBELL DAISY LAVENDER ROSE IVY JUBILEE CORONATION CHARLES EDWARD WILLIAM ELIZABETH MARY ANNE GLADSTONE NELSON WELLINGTON
  CHURCHILL DARWIN NEWTON SHAKESPEARE MILTON BYRON TENNYSON WORDSWORTH DICKENS HARDY ELGAR HANDEL CLARENCE CAMBRIDGE OXFORD WINDSOR BALMORAL
  SANDRINGHAM RICHMOND HAMPTON ASHBY BEVERLEY CHELTENHAM DORSET DEVON SURREY KENT SUSSEX ESSEX NORFOLK SUFFOLK RUTLAND WARWICK STAFFORD
  LANCASTER CHESTER DERBY BEDFORD HEREFORD WORCESTER GLOUCESTER SALISBURY WINCHESTER KESTREL FALCON HERON SWALLOW ROBIN WREN LARK
  KINGFISHER MARTIN PLOVER CURLEW SANDPIPER BRACKEN THISTLE FOXGLOVE SORREL TANSY CLOVER BARLEY WHEAT OATFIELD HARVEST`
    .split(/\s+/)
    .filter(Boolean);

/** Street types and their Welsh forms (which go before the name: Heol y Felin). */
export const SUFFIXES: Array<[string, string]> = [
  ['ROAD', 'HEOL'],
  ['STREET', 'STRYD'],
  ['LANE', 'LON'],
  ['AVENUE', 'RHODFA'],
  ['CLOSE', 'CLOS'],
  ['DRIVE', 'RHODFA'],
  ['WAY', 'FFORDD'],
  ['GARDENS', 'GERDDI'],
  ['CRESCENT', 'CILGANT'],
  ['PLACE', 'PLAS'],
  ['TERRACE', 'TERAS'],
  ['GROVE', 'LLWYN'],
  ['ROW', 'RHES'],
  ['WALK', 'LLWYBR'],
  ['VIEW', 'GOLWG'],
  ['RISE', 'RHIW'],
  ['MEWS', 'MEWS'],
  ['SQUARE', 'SGWAR'],
];
export const WELSH_STEMS: Record<string, string> = {
  CHURCH: 'YR EGLWYS',
  STATION: 'YR ORSAF',
  MILL: 'Y FELIN',
  CASTLE: 'Y CASTELL',
  BRIDGE: 'Y BONT',
  SCHOOL: 'YR YSGOL',
  CHAPEL: 'Y CAPEL',
  MARKET: 'Y FARCHNAD',
  NEW: 'NEWYDD',
  PARK: 'Y PARC',
  FARM: 'Y FFERM',
  RIVER: 'YR AFON',
  WELL: 'Y FFYNNON',
  GREEN: 'Y GRIN',
  HIGH: 'FAWR',
  OAK: 'Y DERW',
  ASH: 'YR ONNEN',
  MEADOW: 'Y WAUN',
  WOOD: 'Y COED',
  VALLEY: 'Y CWM',
  HILL: 'Y BRYN',
  LAKE: 'Y LLYN',
};

export const LOCALITIES =
  `NORTHFIELD WESTBURY EASTON SOUTHWOOD HIGHFIELD MOORSIDE PARKSIDE RIVERSIDE HILLTOP BROOKSIDE ASHLEY FAIRFIELD GREENHILL
  OAKWOOD LONGFORD STANMORE KINGSWOOD NEWLANDS WESTON MILTON`
    .split(/\s+/)
    .filter(Boolean);

export const HOUSE_NAMES = [
  'ROSE COTTAGE',
  'THE LAURELS',
  'OAK LODGE',
  'THE OLD FORGE',
  'IVY HOUSE',
  'FIELD VIEW',
  'THE BARN',
  'HILLCREST',
  'WILLOW BANK',
  'THE COACH HOUSE',
  'ORCHARD HOUSE',
  'BRAMBLE COTTAGE',
  'THE OLD SCHOOL',
  'FERN LEA',
  'HOLLY TREE HOUSE',
  'THE GABLES',
  'SUNNYSIDE',
  'MEADOW VIEW',
  'THE STABLES',
  'APPLE TREE COTTAGE',
  'THE OLD RECTORY',
  'BROOK HOUSE',
  'GREYSTONES',
  'WHITE GATES',
];

export const BLOCK_TYPES = ['HOUSE', 'COURT', 'LODGE', 'MANSIONS', 'POINT'];

export const SURNAMES =
  `SMITH JONES TAYLOR BROWN WILLIAMS WILSON JOHNSON DAVIES ROBINSON WRIGHT THOMPSON EVANS WALKER WHITE ROBERTS GREEN HALL
  WOOD JACKSON CLARKE PATEL KHAN LEWIS HARRIS MORGAN PRICE BENNETT GRIFFITHS HUGHES EDWARDS COOPER WARD TURNER HILL MOORE KING`
    .split(/\s+/)
    .filter(Boolean);

/** Businesses: a name pattern and its classification. */
export const BUSINESSES: Array<[string, string]> = [
  ['{S} & SONS LTD', 'CR08'],
  ['{S} BAKERY', 'CR08'],
  ['{S} HARDWARE', 'CR08'],
  ['{S} PHARMACY', 'CR08'],
  ['{S} DENTAL PRACTICE', 'CM'],
  ['{S} SOLICITORS LLP', 'CO01'],
  ['{S} ACCOUNTANTS', 'CO01'],
  ['{S} ESTATE AGENTS', 'CO01'],
  ['THE {P}', 'CR06'],
  ['{S} CAFE', 'CR07'],
];
export const PUBS = [
  'RED LION',
  'WHITE HART',
  'CROWN',
  'KINGS ARMS',
  'ROYAL OAK',
  'BLACK HORSE',
  'SHIP INN',
  'PLOUGH',
  'GREEN MAN',
  'SWAN',
];

/** The letters Royal Mail uses in the last two places of a postcode. */
export const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
