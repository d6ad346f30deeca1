// Letters as real A4 PDFs. The recipient's address sits exactly where a DL windowed envelope
// shows it (Notify's letter specification: 24.6 mm from the left, 39.5 mm from the top, within
// 95.4 × 26.8 mm), the sender's contact block and date on the right, then the heading and
// the body from Notify Markdown, flowing onto further pages with "Page n of m" at the foot.
import type { PDFFont, PDFPage, rgb } from 'pdf-lib';

// pdf-lib is loaded on the first letter, not at start-up: most processes never draw one and it
// costs ~6 MB of resident memory.
const pdfLib = () => import('pdf-lib');
import { inlineTokens, parseBlocks } from './markdown.js';

export const MM = 72 / 25.4;
export const A4 = { width: 210 * MM, height: 297 * MM };
/** The envelope window, in millimetres from the top-left corner of the page. */
export const ADDRESS_BLOCK = { left: 24.6, top: 39.5, width: 95.4, height: 26.8 };

const MARGIN = { left: 25, right: 20, bottom: 25, top: 20 };
const BODY_SIZE = 11;
const BODY_LEADING = 15;
const ADDRESS_SIZE = 9;
const ADDRESS_LEADING = (ADDRESS_BLOCK.height * MM) / 7;

export interface LetterInput {
  serviceName: string;
  address: string[];
  contactBlock: string | null;
  date: Date;
  subject: string;
  body: string;
}

/** Replaces characters the standard PDF fonts cannot draw (they use WinAnsi). */
function drawable(font: PDFFont) {
  const set = new Set(font.getCharacterSet());
  return (s: string) =>
    [...s]
      .map((ch) => {
        if (set.has(ch.codePointAt(0)!)) return ch;
        const plain = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
        return [...plain].every((c) => set.has(c.codePointAt(0)!)) ? plain : '?';
      })
      .join('');
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const tryLine = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(tryLine, size) <= width || !line) {
        line = tryLine;
        continue;
      }
      out.push(line);
      line = word;
    }
    out.push(line);
  }
  return out;
}

/** drawText with a font set once per page, not once per call (each call would add a font resource). */
const pageFont = new WeakMap<PDFPage, PDFFont>();
function draw(page: PDFPage, text: string, o: { x: number; y: number; size: number; font: PDFFont; color: ReturnType<typeof rgb> }) {
  if (pageFont.get(page) !== o.font) {
    page.setFont(o.font);
    pageFont.set(page, o.font);
  }
  page.drawText(text, { x: o.x, y: o.y, size: o.size, color: o.color });
}

const linkText = (s: string) =>
  inlineTokens(s)
    .map((t) => (t.href && t.href !== t.text ? `${t.text} (${t.href})` : t.text))
    .join('');

export async function renderLetterPdf(input: LetterInput): Promise<{ pdf: Uint8Array; pages: number }> {
  const { PDFDocument, StandardFonts, rgb } = await pdfLib();
  const doc = await PDFDocument.create();
  doc.setTitle(input.subject);
  doc.setAuthor(input.serviceName);
  doc.setCreator('Cityscape Notify');
  doc.setProducer('Cityscape Notify');
  doc.setCreationDate(input.date);
  doc.setModificationDate(input.date);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const clean = drawable(regular);
  const ink = rgb(0.043, 0.047, 0.047);

  const pages: PDFPage[] = [];
  const newPage = () => {
    const p = doc.addPage([A4.width, A4.height]);
    pages.push(p);
    return p;
  };
  let page = newPage();
  const yFromTop = (mm: number) => A4.height - mm * MM;

  // Sender at the top left, where a logo would go.
  draw(page, clean(input.serviceName), { x: MARGIN.left * MM, y: yFromTop(18), size: 12, font: bold, color: ink });

  // The address block, inside the envelope window.
  const addressWidth = ADDRESS_BLOCK.width * MM;
  let y = yFromTop(ADDRESS_BLOCK.top) - ADDRESS_SIZE;
  for (const line of input.address.slice(0, 7)) {
    let text = clean(line);
    while (text.length > 1 && regular.widthOfTextAtSize(text, ADDRESS_SIZE) > addressWidth) text = text.slice(0, -1);
    draw(page, text, { x: ADDRESS_BLOCK.left * MM, y, size: ADDRESS_SIZE, font: regular, color: ink });
    y -= ADDRESS_LEADING;
  }

  // Contact block and date on the right.
  const rightX = 125 * MM;
  const rightWidth = (210 - MARGIN.right - 125) * MM;
  y = yFromTop(ADDRESS_BLOCK.top) - ADDRESS_SIZE;
  const contact = (input.contactBlock ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of contact.flatMap((l) => wrap(clean(l), regular, ADDRESS_SIZE, rightWidth)).slice(0, 10)) {
    draw(page, line, { x: rightX, y, size: ADDRESS_SIZE, font: regular, color: ink });
    y -= ADDRESS_LEADING;
  }
  const date = input.date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
  draw(page, date, { x: rightX, y: y - ADDRESS_LEADING, size: ADDRESS_SIZE, font: regular, color: ink });

  // Heading and body.
  const left = MARGIN.left * MM;
  const width = (210 - MARGIN.left - MARGIN.right) * MM;
  y = yFromTop(95);
  const ensure = (needed: number) => {
    if (y - needed < MARGIN.bottom * MM) {
      page = newPage();
      y = yFromTop(MARGIN.top);
    }
  };
  const lines = (text: string, font: PDFFont, size: number, leading: number, indent = 0, firstPrefix = '') => {
    const wrapped = wrap(clean(text), font, size, width - indent);
    wrapped.forEach((l, i) => {
      ensure(leading);
      if (i === 0 && firstPrefix) draw(page, firstPrefix, { x: left + indent - 5 * MM, y: y - size, size, font, color: ink });
      draw(page, l, { x: left + indent, y: y - size, size, font, color: ink });
      y -= leading;
    });
  };

  lines(input.subject, bold, 16, 21);
  y -= 8;
  for (const block of parseBlocks(input.body)) {
    switch (block.kind) {
      case 'heading':
        ensure(40);
        y -= 4;
        lines(linkText(block.lines.join(' ')), bold, 14, 19);
        y -= 4;
        break;
      case 'subheading':
        ensure(30);
        lines(linkText(block.lines.join(' ')), bold, BODY_SIZE, BODY_LEADING);
        y -= 2;
        break;
      case 'para':
        lines(block.lines.map(linkText).join('\n'), regular, BODY_SIZE, BODY_LEADING);
        y -= 8;
        break;
      case 'inset': {
        const top = y;
        lines(block.lines.map(linkText).join('\n'), regular, BODY_SIZE, BODY_LEADING, 6 * MM);
        if (page === pages[pages.length - 1] && top > y)
          page.drawRectangle({ x: left, y: y + 4, width: 1.5 * MM, height: top - y - 2, color: rgb(0.69, 0.71, 0.72) });
        y -= 8;
        break;
      }
      case 'bullets':
        block.items.forEach((item) => lines(linkText(item), regular, BODY_SIZE, BODY_LEADING, 6 * MM, '•'));
        y -= 8;
        break;
      case 'numbered':
        block.items.forEach((item, n) => lines(linkText(item), regular, BODY_SIZE, BODY_LEADING, 6 * MM, `${n + 1}.`));
        y -= 8;
        break;
      case 'hr':
        ensure(20);
        page.drawLine({ start: { x: left, y: y - 6 }, end: { x: left + width, y: y - 6 }, thickness: 0.5, color: rgb(0.69, 0.71, 0.72) });
        y -= 16;
        break;
    }
  }

  pages.forEach((p, i) => {
    const label = `Page ${i + 1} of ${pages.length}`;
    draw(p, label, { x: (A4.width - regular.widthOfTextAtSize(label, 8)) / 2, y: 12 * MM, size: 8, font: regular, color: ink });
  });
  return { pdf: await doc.save({ useObjectStreams: false }), pages: pages.length };
}

/** Checks a precompiled letter: a PDF whose pages are all A4 (portrait). */
export async function inspectPdf(bytes: Uint8Array): Promise<{ pages: number; a4: boolean } | null> {
  try {
    const { PDFDocument } = await pdfLib();
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    const pages = doc.getPages();
    const a4 = pages.every((p) => {
      const { width, height } = p.getSize();
      return Math.abs(width - A4.width) < 3 && Math.abs(height - A4.height) < 3;
    });
    return { pages: pages.length, a4 };
  } catch {
    return null;
  }
}

/** Sheets of paper, printed on both sides. */
export const sheetsFor = (pages: number) => Math.max(1, Math.ceil(pages / 2));
