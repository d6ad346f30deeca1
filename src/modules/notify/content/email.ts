// The email a recipient receives: the service's name in a header bar, the body rendered from
// Notify Markdown, and a plain-text part with the same words. Table layout and inline styles
// because that is what mail clients reliably display.
import { bodyHtml, bodyText, escapeHtml } from './markdown.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function renderEmail(opts: { serviceName: string; subject: string; body: string }): RenderedEmail {
  const subject = opts.subject;
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="font-family: Helvetica, Arial, sans-serif; font-size: 16px; margin: 0; color: #0B0C0C;">
<span style="display: none; font-size: 1px; color: #fff; max-height: 0;" hidden>${escapeHtml(subject)}</span>
<table role="presentation" width="100%" style="border-collapse: collapse; min-width: 100%; width: 100% !important;" cellpadding="0" cellspacing="0" border="0">
<tr><td width="100%" height="53" bgcolor="#0b0c0c">
<table role="presentation" width="100%" style="border-collapse: collapse; max-width: 580px;" cellpadding="0" cellspacing="0" border="0" align="center">
<tr><td style="padding: 10px 15px; font-family: Helvetica, Arial, sans-serif; font-size: 24px; line-height: 1.3; font-weight: 700; color: #ffffff;">${escapeHtml(opts.serviceName)}</td></tr>
</table></td></tr>
</table>
<table role="presentation" class="content" align="center" cellpadding="0" cellspacing="0" border="0" style="border-collapse: collapse; max-width: 580px; width: 100% !important;" width="100%">
<tr><td height="30"><br /></td></tr>
<tr><td width="10" valign="middle"><br /></td><td style="font-family: Helvetica, Arial, sans-serif; font-size: 19px; line-height: 1.315789474; max-width: 560px;">
${bodyHtml(opts.body)}
</td><td width="10" valign="middle"><br /></td></tr>
<tr><td height="30"><br /></td></tr>
</table>
</body></html>
`;
  return { subject, html, text: bodyText(opts.body) + '\n' };
}
