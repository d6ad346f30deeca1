// The engagement panel on every catalogue service page, placed beside the accountable
// office-holder: the service's open consultations and what came of past ones.
import type { Kernel } from '../../kernel/module.js';
import { translator, type Lang } from '../../kernel/views.js';
import type { EngagementService } from './service.js';
import { consultationCard } from './present.js';

export function servicePanel(k: Kernel, svc: EngagementService) {
  return async (s: { id: string }, lang: Lang) => {
    const all = await svc.list({ serviceIds: [s.id], limit: 50 });
    if (!all.length) return null;
    const t = translator(k.views.messages, lang);
    const cards = all.map((c) => consultationCard(lang, c));
    const open = cards.filter((c) => c.status === 'open');
    const past = cards.filter((c) => c.status === 'closed').slice(0, 5);
    if (!open.length && !past.length) return null;
    const html = k.views.env.render('engagement/views/panel.njk', { t, lang, open, past });
    return { title: t('engagement.panel.title'), html, placement: 'accountable' as const };
  };
}
