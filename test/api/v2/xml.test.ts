/**
 * The v2.0 API in XML: request bodies in application/xml (Keystone's old
 * attributes-as-fields form), answers in XML when Accept asks for it,
 * malformed XML a 400, no DOCTYPE and no entity expansion, no XML on v3.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { expect, v2call } from './v2-helpers.js';
import { xmlBody } from '../../../src/server/pipeline/xml-body.js';
import type { Request } from 'express';

const NS = 'http://docs.openstack.org/identity/api/v2.0';
const asV2 = { path: '/v2.0/tokens' } as Request;

describe('v2.0 in XML', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  test('the parser: attributes and child elements as fields, booleans, namespaces dropped', () => {
    assert.deepEqual(
      xmlBody(
        `<?xml version="1.0" encoding="UTF-8"?><auth xmlns="${NS}" tenantName="admin"><passwordCredentials username="u" password="p"/></auth>`,
        asV2,
      ),
      { auth: { tenantName: 'admin', passwordCredentials: { username: 'u', password: 'p' } } },
    );
    assert.deepEqual(xmlBody(`<tenant xmlns="${NS}" name="t" enabled="false"><description>d &amp; e</description></tenant>`, asV2), {
      tenant: { name: 't', enabled: false, description: 'd &amp; e' },
    });
  });

  test('a token from an XML body, answered in XML and in JSON', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><auth xmlns="${NS}" tenantName="admin"><passwordCredentials username="admin" password="${server.adminPassword}"/></auth>`;
    const asJson = expect(await v2call(server, 'POST', '/v2.0/tokens', { xml }), 200);
    assert.equal(asJson.json.access.token.tenant.name, 'admin');
    const asXml = expect(await v2call(server, 'POST', '/v2.0/tokens', { xml, accept: 'application/xml' }), 200);
    assert.match(asXml.headers.get('content-type') ?? '', /^application\/xml/);
    assert.match(asXml.text, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<access xmlns="${NS}">`));
    assert.match(asXml.text, /<token id="[^"]+" issued_at="[^"]+" expires="[^"]+">/);
    assert.match(asXml.text, /<tenant id="[0-9a-f]{32}" name="admin" description="[^"]*" enabled="true"\/>/);
    assert.match(
      asXml.text,
      /<serviceCatalog><service type="identity" name="keystone"><endpoints><endpoint id="[0-9a-f]+" region="RegionOne" /,
    );
    assert.match(asXml.text, /<user id="[0-9a-f]+" name="admin" username="admin"><roles_links\/><roles><role name="admin"\/>/);
  });

  test('tenants: listed in XML, created from XML', async () => {
    const token = expect(
      await v2call(server, 'POST', '/v2.0/tokens', {
        body: { auth: { tenantName: 'admin', passwordCredentials: { username: 'admin', password: server.adminPassword } } },
      }),
      200,
    ).json.access.token.id;
    const listed = expect(await v2call(server, 'GET', '/v2.0/tenants', { token, accept: 'application/xml' }), 200);
    assert.match(
      listed.text,
      new RegExp(`<tenants xmlns="${NS}"><tenant id="[0-9a-f]{32}" name="admin" description="[^"]*" enabled="true"/></tenants>`),
    );
    const created = expect(
      await v2call(server, 'POST', '/v2.0/tenants', {
        admin: true,
        token,
        accept: 'application/xml',
        xml: `<tenant xmlns="${NS}" name="xml-tenant" enabled="true"><description>from XML</description></tenant>`,
      }),
      200,
    );
    assert.match(created.text, /<tenant xmlns="[^"]+" id="[0-9a-f]{32}" name="xml-tenant" description="from XML" enabled="true"\/>/);
    const project = await server.providers.resource_api.findProjectByName('xml-tenant', 'default');
    assert.equal(project?.description, 'from XML');
    assert.equal(project?.enabled, true);
  });

  test('malformed XML, DOCTYPEs and entities: 400, nothing expanded; no XML on v3', async () => {
    const post = (xml: string) => v2call(server, 'POST', '/v2.0/tokens', { xml });
    for (const bad of ['<auth tenantName="admin">', '<auth><a></b></auth>', 'not xml at all', '<a/><b/>']) {
      const res = expect(await post(bad), 400);
      assert.equal(res.json.error.code, 400);
    }
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><auth tenantName="&lol2;"><passwordCredentials username="admin" password="x"/></auth>`;
    expect(await post(bomb), 400);
    const external = `<?xml version="1.0"?><!DOCTYPE auth [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><auth tenantName="&xxe;"/>`;
    const res = expect(await post(external), 400);
    assert.doesNotMatch(res.text, /root:/);
    expect(await v2call(server, 'POST', '/v3/auth/tokens', { xml: '<auth/>' }), 400);
  });

  test('errors are in XML when the Accept header asks for it, JSON otherwise', async () => {
    const xmlError = expect(await v2call(server, 'GET', '/v2.0/tenants', { accept: 'application/xml' }), 401);
    assert.match(
      xmlError.text,
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<error xmlns="http:\/\/docs\.openstack\.org\/identity\/api\/v2\.0" code="401" message="[^"]+" title="Unauthorized"\/>$/,
    );
    const jsonError = expect(await v2call(server, 'GET', '/v2.0/tenants'), 401);
    assert.equal(jsonError.json.error.title, 'Unauthorized');
  });
});
