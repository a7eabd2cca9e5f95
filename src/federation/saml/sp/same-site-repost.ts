/**
 * The identity provider's HTTP-POST reaches the consumer as a cross-site request, which carries no
 * SameSite=Lax cookie: the browser's binding cookie is missing. The consumer then answers this page, which
 * posts the same form again from its own origin, a same-site request that carries the cookie (the marker
 * field says it is the second post: without the cookie even then, the browser is not the one that began).
 */

/** The field the page adds to the form it posts again. */
export const REPOSTED_FIELD = 'keystone_websso_reposted';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The page posting `fields` (and the marker) to `action` on load. */
export function sameSiteRepostPage(action: string, fields: Readonly<Record<string, string>>): string {
  const inputs = Object.entries({ ...fields, [REPOSTED_FIELD]: '1' })
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}"/>`)
    .join('\n      ');
  return `<!DOCTYPE html>
<html>
  <head><title>Keystone WebSSO</title></head>
  <body>
    <form id="saml" name="saml" action="${escapeHtml(action)}" method="post">
      ${inputs}
      <noscript><input type="submit" value="Continue"/></noscript>
    </form>
    <script type="text/javascript">document.forms['saml'].submit();</script>
  </body>
</html>
`;
}
