// View models: a question as the params of its GOV.UK Design System macro (the template only
// picks the macro), and check-your-answers rows with their change links.
import type { Definition, Page, Question } from './definition.js';
import {
  answerText,
  fieldId,
  options,
  txt,
  type AddressAnswer,
  type Answer,
  type Answers,
  type Lang,
  type Source,
  type T,
} from './engine.js';

export interface Field {
  macro: 'input' | 'textarea' | 'date' | 'radios' | 'checkboxes' | 'select' | 'address' | 'file' | 'declaration';
  params: Record<string, unknown>;
  /** address: the four inputs; file: the one kept. */
  extra?: Record<string, unknown>;
}

const asStr = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? '' : String(v));

export function fieldsOf(
  def: Definition,
  page: Page,
  lang: Lang,
  t: T,
  values: Answers,
  raw: Record<string, string | string[]> | null,
  errors: Record<string, { text: string }>,
  skip: Set<string>,
): Field[] {
  const single = page.questions.filter((q) => !skip.has(q.id)).length === 1;
  const out: Field[] = [];
  for (const q of page.questions) {
    if (skip.has(q.id)) continue;
    const label = txt(q.label, lang);
    // One question on a page: its label is the page heading (GOV.UK pattern).
    const isPage = single && !page.intro;
    const hint = q.hint ? { text: txt(q.hint, lang) } : undefined;
    const v = (name: string) => (raw ? asStr(Array.isArray(raw[name]) ? '' : raw[name]) : asStr(values[name]));
    const errorMessage = errors[fieldId(q)] ?? errors[q.id];
    const labelObj = isPage ? { text: label, isPageHeading: true, classes: 'govuk-label--l' } : { text: label, classes: 'govuk-label--s' };
    const legend = isPage
      ? { text: label, isPageHeading: true, classes: 'govuk-fieldset__legend--l' }
      : { text: label, classes: 'govuk-fieldset__legend--s' };
    const opt = optional(q, t);
    switch (q.type) {
      case 'text':
      case 'email':
      case 'telephone':
      case 'number':
        out.push({
          macro: 'input',
          params: {
            id: q.id,
            name: q.id,
            label: { ...labelObj, text: label + opt },
            hint,
            value: v(q.id),
            errorMessage,
            type: q.type === 'email' ? 'email' : q.type === 'telephone' ? 'tel' : 'text',
            inputmode: q.type === 'number' ? (q.validation?.integer ? 'numeric' : 'decimal') : undefined,
            autocomplete: q.type === 'email' ? 'email' : q.type === 'telephone' ? 'tel' : undefined,
            spellcheck: q.type === 'email' ? false : undefined,
            classes: q.type === 'number' || q.type === 'telephone' ? 'govuk-input--width-20' : undefined,
          },
        });
        break;
      case 'textarea':
        out.push({
          macro: 'textarea',
          params: { id: q.id, name: q.id, label: { ...labelObj, text: label + opt }, hint, value: v(q.id), errorMessage },
        });
        break;
      case 'date': {
        const iso = asStr(values[q.id]);
        const [y, m, d] = iso ? iso.split('-') : ['', '', ''];
        const part = (p: string, fallback: string) => (raw ? asStr(raw[`${q.id}-${p}`]) : fallback.replace(/^0/, ''));
        out.push({
          macro: 'date',
          params: {
            id: q.id,
            namePrefix: q.id,
            fieldset: { legend: { ...legend, text: label + opt } },
            hint,
            errorMessage,
            items: [
              { name: 'day', classes: `govuk-input--width-2${errorMessage ? ' govuk-input--error' : ''}`, value: part('day', d ?? '') },
              { name: 'month', classes: `govuk-input--width-2${errorMessage ? ' govuk-input--error' : ''}`, value: part('month', m ?? '') },
              { name: 'year', classes: `govuk-input--width-4${errorMessage ? ' govuk-input--error' : ''}`, value: part('year', y ?? '') },
            ],
          },
        });
        break;
      }
      case 'radios':
      case 'yesno':
      case 'checkboxes': {
        const current = raw ? raw[q.id] : values[q.id];
        const chosen = new Set(Array.isArray(current) ? current.map(String) : current !== undefined ? [String(current)] : []);
        out.push({
          macro: q.type === 'checkboxes' ? 'checkboxes' : 'radios',
          params: {
            idPrefix: q.id,
            name: q.id,
            fieldset: { legend: { ...legend, text: label + opt } },
            hint,
            errorMessage,
            classes: q.type === 'yesno' ? 'govuk-radios--inline' : undefined,
            items: options(def, q).map((o) => ({
              value: o.value,
              text: txt(o.text, lang),
              hint: o.hint ? { text: txt(o.hint, lang) } : undefined,
              checked: chosen.has(o.value),
            })),
          },
        });
        break;
      }
      case 'select': {
        const current = raw ? asStr(raw[q.id]) : asStr(values[q.id]);
        out.push({
          macro: 'select',
          params: {
            id: q.id,
            name: q.id,
            label: { ...labelObj, text: label + opt },
            hint,
            errorMessage,
            items: [
              { value: '', text: t('forms.page.choose') },
              ...options(def, q).map((o) => ({ value: o.value, text: txt(o.text, lang), selected: current === o.value })),
            ],
          },
        });
        break;
      }
      case 'address': {
        const a = (values[q.id] as AddressAnswer | undefined) ?? undefined;
        const f = (k: keyof AddressAnswer) => (raw ? asStr(raw[`${q.id}-${k}`]) : asStr(a?.[k]));
        const input = (k: keyof AddressAnswer, text: string, extra: Record<string, unknown> = {}) => ({
          id: `${q.id}-${k}`,
          name: `${q.id}-${k}`,
          label: { text },
          value: f(k),
          errorMessage: errors[`${q.id}-${k}`] ?? (k === 'line1' ? errorMessage : undefined),
          ...extra,
        });
        out.push({
          macro: 'address',
          params: {
            legend: { ...legend, text: label + opt },
            hint,
            id: q.id,
            findHref: `find-address?question=${encodeURIComponent(q.id)}`,
          },
          extra: {
            uprn: a?.uprn ?? '',
            inputs: [
              input('line1', t('forms.address.line1'), { autocomplete: 'address-line1' }),
              input('line2', t('forms.address.line2'), { autocomplete: 'address-line2' }),
              input('town', t('forms.address.town'), { autocomplete: 'address-level2', classes: 'govuk-!-width-two-thirds' }),
              input('postcode', t('forms.address.postcode'), { autocomplete: 'postal-code', classes: 'govuk-input--width-10' }),
            ],
          },
        });
        break;
      }
      case 'file': {
        const kept = values[q.id] as { name?: string } | undefined;
        const accept = q.validation?.accept?.join(',');
        out.push({
          macro: 'file',
          params: {
            id: q.id,
            name: q.id,
            label: { ...labelObj, text: label + opt },
            hint,
            errorMessage,
            attributes: accept ? { accept } : undefined,
          },
          extra: kept?.name ? { kept: kept.name } : {},
        });
        break;
      }
      case 'declaration':
        out.push({
          macro: 'declaration',
          params: {
            idPrefix: q.id,
            name: q.id,
            fieldset: { legend: { ...legend, text: label } },
            errorMessage,
            items: [{ value: 'agreed', text: t('forms.page.agree'), checked: (raw ? raw[q.id] : values[q.id]) === 'agreed' }],
          },
          extra: { content: paras(txt(q.content, lang)) },
        });
        break;
    }
  }
  return out;
}

function optional(q: Question, t: T): string {
  return q.optional ? ` ${t('forms.page.optional')}` : '';
}

export interface CheckRow {
  key: { text: string };
  value: { html?: string; text?: string };
  actions?: { items: Array<{ href: string; text: string; visuallyHiddenText: string }> };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function sourceNote(s: Source | undefined, t: T): string {
  if (!s) return '';
  return s.kind === 'exchange' ? t('forms.prefill.from', { provider: s.provider ?? '' }) : t('forms.prefill.fromAccount');
}

/** Check-your-answers rows for the pages on the way. */
export function checkRows(
  def: Definition,
  pages: Page[],
  answers: Answers,
  repeats: Record<string, Answers[]>,
  sources: Record<string, Source>,
  base: string,
  lang: Lang,
  t: T,
): CheckRow[] {
  const rows: CheckRow[] = [];
  const value = (q: Question, a: Answer | undefined) => {
    const text = answerText(def, q, a, lang);
    return text ? esc(text).replace(/\n/g, '<br>') : `<span class="govuk-hint">${esc(t('forms.check.notAnswered'))}</span>`;
  };
  for (const page of pages) {
    if (page.repeat) {
      const items = repeats[page.id] ?? [];
      items.forEach((item, i) => {
        const name = `${txt(page.repeat!.itemName ?? page.title, lang)} ${i + 1}`;
        rows.push({
          key: { text: name },
          value: { html: page.questions.map((q) => value(q, item[q.id])).join('<br>') },
          actions: {
            items: [{ href: `${base}/${page.id}?item=${i + 1}&change=1`, text: t('forms.check.change'), visuallyHiddenText: name }],
          },
        });
      });
      continue;
    }
    for (const q of page.questions) {
      const label = txt(q.label, lang);
      const note = sourceNote(sources[q.id], t);
      rows.push({
        key: { text: label },
        value: { html: value(q, answers[q.id]) + (note ? `<br><span class="govuk-hint govuk-!-font-size-16">${esc(note)}</span>` : '') },
        actions: {
          items: [
            {
              href: sources[q.id] ? `${base}/answer-myself?question=${encodeURIComponent(q.id)}` : `${base}/${page.id}?change=1`,
              text: sources[q.id] ? t('forms.prefill.wrong') : t('forms.check.change'),
              visuallyHiddenText: label,
            },
          ],
        },
      });
    }
  }
  return rows;
}

/** Text split into paragraphs at blank lines (templates escape each). */
export const paras = (s: string): string[] =>
  s
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
