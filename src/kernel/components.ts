// GOV.UK components' own wording in Welsh. govuk-frontend writes English defaults into its
// components ("Menu", "Support links", "Show password", "Error:") and into their JavaScript
// (announcements, counters). Cityscape shadows the macros of every component that has such
// defaults (src/views/govuk/components/<name>/macro.njk, found before govuk-frontend's own by
// the template loader): each passes its params through `componentParams`, which fills in the
// Welsh wording (src/views/locales/components.cy.json) wherever the caller gave none, when the
// page being rendered is Welsh. Callers never have to remember; explicit params always win.
// The table's shadow puts every table in a scrolling region named after it, so a wide table
// scrolls on its own on a small screen instead of widening the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Params = Record<string, any>;
type Wording = Record<string, Record<string, string>>;

/** Every plural form Welsh has (Intl.PluralRules('cy')): the components' JavaScript picks one by count. */
const WELSH_PLURALS = ['zero', 'one', 'two', 'few', 'many', 'other'];
const plural = (text: string) => Object.fromEntries(WELSH_PLURALS.map((f) => [f, text]));

const PLURAL_PARAMS = ['charactersUnderLimitText', 'charactersOverLimitText', 'wordsUnderLimitText', 'wordsOverLimitText'];

/** A caller's own plural messages ({ one, other }) get the Welsh forms they lack from their `other`. */
function completePlurals(p: Params, keys: string[]): Params {
  const out = { ...p };
  for (const k of keys) {
    const given = p[k];
    if (given && typeof given === 'object' && given.other) out[k] = { ...plural(given.other), ...given };
  }
  return out;
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== '';

/** params with each of `defaults` filled in where params has no value; never changes params itself. */
function fill(params: Params | undefined, defaults: Params): Params {
  const out: Params = { ...(params ?? {}) };
  for (const [k, v] of Object.entries(defaults)) if (!isSet(out[k])) out[k] = v;
  return out;
}

const plainText = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** A name for a table's scrolling region: its caption, else its column headings. */
function tableLabel(p: Params): string {
  if (p.label) return String(p.label);
  if (p.caption) return String(p.caption);
  return ((p.head ?? []) as Params[])
    .map((h) => (h.text ? String(h.text) : plainText(String(h.html ?? ''))))
    .filter(Boolean)
    .join(', ');
}

export function loadComponentWording(localesDir: string): Wording {
  return JSON.parse(readFileSync(join(localesDir, 'components.cy.json'), 'utf8')) as Wording;
}

/** The params a shadowed component renders with: Welsh defaults filled in on Welsh pages. */
export function componentParams(cy: Wording, lang: string, name: string, params: Params | undefined): Params | undefined {
  if (name === 'table') return { ...params, scrollLabel: tableLabel(params ?? {}) };
  if (lang !== 'cy') return params;
  const w = cy[name];
  if (!w) return params;
  const p = params ?? {};
  switch (name) {
    case 'back-link':
      return p.html || p.text ? p : { ...p, text: w.text };
    case 'notification-banner':
      return p.titleHtml || p.titleText ? p : { ...p, titleText: p.type === 'success' ? w.successTitleText : w.titleText };
    case 'exit-this-page':
      return fill(p.html || p.text ? p : { ...p, html: w.html }, w);
    case 'footer':
      return { ...p, meta: p.meta === undefined ? p.meta : fill(p.meta, { visuallyHiddenTitle: w.visuallyHiddenTitle }) };
    case 'date-input': {
      // Without items the component makes day, month and year inputs labelled from their names.
      const items: Params[] = p.items?.length
        ? p.items
        : ['day', 'month', 'year'].map((n) => ({ name: n, classes: n === 'year' ? 'govuk-input--width-4' : 'govuk-input--width-2' }));
      return { ...p, items: items.map((item) => (item.label || !w[item.name] ? item : { ...item, label: w[item.name] })) };
    }
    case 'pagination':
      return {
        ...fill(p, { landmarkLabel: w.landmarkLabel }),
        previous: p.previous && !p.previous.html && !p.previous.text ? { ...p.previous, text: w.previousText } : p.previous,
        next: p.next && !p.next.html && !p.next.text ? { ...p.next, text: w.nextText } : p.next,
        items: p.items?.map((item: Params | null) =>
          item && !item.ellipsis && !isSet(item.visuallyHiddenText)
            ? { ...item, visuallyHiddenText: w.pageText.replace('{number}', String(item.number)) }
            : item,
        ),
      };
    case 'character-count':
      return fill(completePlurals(p, PLURAL_PARAMS), {
        textareaDescriptionText: p.maxwords ? w.textareaDescriptionWordsText : w.textareaDescriptionText,
        charactersUnderLimitText: plural(w.charactersUnderLimitText),
        charactersAtLimitText: w.charactersAtLimitText,
        charactersOverLimitText: plural(w.charactersOverLimitText),
        wordsUnderLimitText: plural(w.wordsUnderLimitText),
        wordsAtLimitText: w.wordsAtLimitText,
        wordsOverLimitText: plural(w.wordsOverLimitText),
      });
    case 'file-upload':
      return fill(completePlurals(p, ['multipleFilesChosenText']), { ...w, multipleFilesChosenText: plural(w.multipleFilesChosenText) });
    default:
      return fill(p, w);
  }
}
