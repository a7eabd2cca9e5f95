import type { FirstRun } from './first-run.js';
import { displayHost, type Endpoints } from './ports.js';

/** What keystone-all prints on stdout once ready: its URLs and, after a first run, how to log in as admin. */
export function readyBanner(endpoints: Endpoints, firstRun: FirstRun | null): string {
  const pub = `http://${displayHost(endpoints.public.host)}:${endpoints.public.port}`;
  const adm = `http://${displayHost(endpoints.admin.host)}:${endpoints.admin.port}`;
  const lines = ['', 'Keystone is running.', `  public: ${pub}/v3`, `  admin:  ${adm}/v3`];
  if (firstRun) {
    lines.push(
      '',
      'First run: created the schema, the Fernet and credential keys, and the admin user',
      '(user "admin", project "admin", domain "Default").',
      firstRun.generated
        ? `  admin password: ${firstRun.password}    (generated; shown only this once. Set OS_BOOTSTRAP_PASSWORD to choose it.)`
        : '  admin password: the value of OS_BOOTSTRAP_PASSWORD',
      '',
      'Get a token:',
      `  export OS_AUTH_URL=${pub}/v3 OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD='${firstRun.generated ? firstRun.password : '$OS_BOOTSTRAP_PASSWORD'}' \\`,
      '         OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default',
      '  openstack token issue',
      'or:',
      `  curl -si ${pub}/v3/auth/tokens -H 'Content-Type: application/json' -d '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"name": "Default"}, "password": "${firstRun.generated ? firstRun.password : '<OS_BOOTSTRAP_PASSWORD>'}"}}}, "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}'`,
      '  (the token is in the X-Subject-Token header)',
    );
  }
  return lines.join('\n') + '\n\n';
}
