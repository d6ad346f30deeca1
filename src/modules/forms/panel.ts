// The once-only score on the catalogue's public service page: of the questions the service's
// live form asks, how many a registry on the exchange already answers, and how many more it could.
import type { Kernel } from '../../kernel/module.js';
import { translator } from '../../kernel/views.js';
import type { Service } from '../catalogue/schema.js';
import { allQuestions } from './engine.js';
import type { FormsService } from './service.js';
import type { AttributeInfo } from './runner.js';
import { suggest } from './admin.js';

export function onceOnlyScore(def: Parameters<typeof allQuestions>[0], attrs: Map<string, AttributeInfo>) {
  const qs = allQuestions(def).filter(({ q }) => q.type !== 'declaration');
  const fromRegistry = qs.filter(({ q }) => q.attribute).length;
  const couldBe = qs.filter(({ q }) => !q.attribute && suggest(q, attrs).length > 0).length;
  return { questions: qs.length, fromRegistry, couldBe };
}

export function onceOnlyPanel(k: Pick<Kernel, 'views'>, service: FormsService, attributeNames: () => Promise<Map<string, AttributeInfo>>) {
  return async (s: Service, lang: 'en' | 'cy'): Promise<{ title: string; html: string } | null> => {
    const f = await service.live(s.slug);
    if (!f) return null;
    const t = translator(k.views.messages, lang);
    const score = onceOnlyScore(f.def, await attributeNames());
    const html =
      `<p class="govuk-body">${t('forms.panel.asks', { n: score.questions })}</p>` +
      `<p class="govuk-body">${t('forms.panel.fromRegistry', { n: score.fromRegistry })}</p>` +
      `<p class="govuk-body"><strong>${t('forms.panel.couldBe', { n: score.couldBe })}</strong></p>`;
    return { title: t('forms.panel.title'), html };
  };
}
