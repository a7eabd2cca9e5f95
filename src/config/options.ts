/**
 * The one table of keystone.conf options: names, types, defaults and help.
 * Names and defaults follow Keystone 22 (keystone/conf/*.py and the oslo
 * libraries it registers); options marked `ignored` are accepted so that an
 * operator's existing keystone.conf loads, and warn at start-up.
 * conf/keystone.conf.sample is generated from this table (npm run gen-config).
 */
import { bool, float, int, list, multi, optBool, optInt, optStr, str, type OptionSpec } from './option-types.js';
import { addressRangesProblem } from './address-ranges.js';
import { uriProblem } from './uri-option.js';

/** The client authentication methods of [oauth2] oauth2_authn_methods. */
export const OAUTH2_AUTHN_METHODS: readonly string[] = ['tls_client_auth', 'client_secret_basic', 'client_secret_post'];

function oauth2MethodsProblem(methods: readonly string[]): string | undefined {
  const unknown = methods.find((m) => !OAUTH2_AUTHN_METHODS.includes(m));
  return unknown === undefined ? undefined : `unknown method ${unknown} (choose among ${OAUTH2_AUTHN_METHODS.join(', ')})`;
}

export const OPTIONS = {
  DEFAULT: {
    admin_token: optStr(
      'A "shared secret" that can be used to bootstrap Keystone. It grants everything Keystone\'s admin_token_auth granted. Leave unset in production.',
      { secret: true },
    ),
    public_endpoint: optStr(
      'The base public endpoint URL for Keystone that clients see (e.g. https://keystone.example.com:5000). Defaults to the base host URL of the request.',
    ),
    admin_endpoint: optStr(
      'The base admin endpoint URL for Keystone (e.g. http://keystone.example.com:35357). Defaults to the base host URL of the request.',
    ),
    max_project_tree_depth: int(5, 'Maximum depth of the project hierarchy, excluding the project acting as a domain at the top.', {
      min: 1,
    }),
    max_param_size: int(64, 'Limit the sizes of user & project ID/names.', { min: 1 }),
    max_token_size: int(255, 'Similar to max_param_size, but provides an exception for token values.', { min: 1 }),
    list_limit: optInt('The maximum number of entities returned in a collection. Unset means no limit.', { min: 1 }),
    strict_password_check: bool(
      false,
      'If set to true, passwords longer than [identity] max_password_length are rejected instead of truncated.',
    ),
    insecure_debug: bool(false, 'If set to true, error messages include more detail for the client. Never in production.'),
    enable_v2_api: bool(
      true,
      'Serve the deprecated Identity API v2.0 (/v2.0 on both ports: tokens, tenants, users, OS-KSADM, OS-EC2, ec2tokens/s3tokens) and list it in version discovery. Its admin operations are authorized by the same policy rules as their v3 equivalents. Set to false when no client needs v2.0: its paths then answer 404 like any unknown path.',
    ),
    member_role_id: str(
      '9fe2ff9ee4384b1894a90878d3e92bab',
      "The id of the role that makes a v2.0 user a member of their default tenant (a user created or updated with a tenantId gets it there, as Keystone's v2.0 did). Created with [DEFAULT] member_role_name when missing.",
    ),
    member_role_name: str(
      '_member_',
      'The name of the role of [DEFAULT] member_role_id, used when that role has to be created. Set both to use an existing role.',
    ),
    notification_format: str('cadf', 'The notification format (accepted for compatibility).', { ignored: true }),
    debug: bool(false, 'If set to true, the logging level is set to DEBUG instead of INFO.'),
    log_file: optStr('Name of log file to send logging output to. If unset, logs go to stderr.'),
    log_dir: optStr('The base directory used for relative log_file paths.'),
    use_stderr: bool(false, 'Log output to standard error. Forced on when no log_file is set.'),
    use_json: bool(false, 'Use JSON formatting for logging.'),
    use_journal: bool(false, 'Log to the systemd journal (lines on stderr carry journald priority prefixes).'),
    state_path: str('/var/lib/keystone', "Top-level directory for maintaining Keystone's state (the embedded database lives under it)."),
    transport_url: optStr('oslo.messaging transport URL (accepted for compatibility).', { ignored: true, secret: true }),
  },
  database: {
    connection: optStr(
      'The SQLAlchemy-style connection string: postgresql://user:pass@host/db (or postgresql+psycopg2://…). Empty, or pglite://PATH, uses the embedded database under state_path.',
      { secret: true },
    ),
    max_pool_size: int(5, 'Maximum number of SQL connections to keep open in a pool, per worker.', { min: 1 }),
    max_retries: int(10, 'Maximum number of database connection retries during startup. -1 means infinite.', { min: -1 }),
    retry_interval: int(10, 'Interval between retries of opening a SQL connection, in seconds.', { min: 0 }),
    connection_recycle_time: int(3600, 'Connections unused for this many seconds are closed.', { min: 1 }),
    idle_timeout: int(3600, 'Deprecated alias of connection_recycle_time (accepted for compatibility).', { ignored: true }),
    query_timeout: int(30, 'Seconds a single SQL statement may run before it is cancelled.', { min: 1 }),
  },
  token: {
    expiration: int(3600, 'The amount of time that a token should remain valid (in seconds).', { min: 0, max: Number.MAX_SAFE_INTEGER }),
    provider: str(
      'fernet',
      'Entry point for the token provider: fernet (encrypted tokens, [fernet_tokens]), jws (ES256-signed JSON Web Tokens, [jwt_tokens]) or uuid (tokens persisted in the database).',
      { choices: ['fernet', 'jws', 'uuid'] },
    ),
    caching: bool(true, 'Toggle for caching token validation. Has no effect unless global caching is enabled.'),
    cache_time: optInt('The number of seconds to cache token validation results. Unset means [cache] expiration_time.'),
    revoke_by_id: bool(true, 'Allow revocation of a token by its id.'),
    allow_rescope_scoped_token: bool(true, 'Allow a scoped token to be rescoped to another scope.'),
    allow_expired_window: int(172800, 'How long (seconds) after expiry a token may still be fetched with ?allow_expired=1.'),
    cache_on_issue: bool(true, 'Deprecated; the token is always cached on issue when caching is on.', { ignored: true }),
  },
  fernet_tokens: {
    key_repository: str('/etc/keystone/fernet-keys/', 'Directory containing Fernet token keys.'),
    max_active_keys: int(3, 'The maximum number of active keys in the key repository, including the staged and primary keys.', { min: 1 }),
  },
  jwt_tokens: {
    jws_public_key_repository: str(
      '/etc/keystone/jws-keys/public',
      'Directory containing public keys for validating JWS token signatures. It must exist, be readable by keystone and contain at least one public key (PEM) that corresponds to the private key in [jwt_tokens] jws_private_key_repository; every key in it verifies. Only used with [token] provider = jws.',
    ),
    jws_private_key_repository: str(
      '/etc/keystone/jws-keys/private',
      'Directory containing the private key for signing JWS tokens: keystone signs with the key named private.pem (EC P-256, PEM, as keystone-manage create_jws_keypair writes it). It must exist and be readable by keystone. Only used with [token] provider = jws.',
    ),
  },
  fernet_receipts: {
    key_repository: str('/etc/keystone/fernet-keys/', 'Directory containing Fernet receipt keys.'),
    max_active_keys: int(3, 'The maximum number of active receipt keys.', { min: 1 }),
  },
  receipt: {
    expiration: int(300, 'The amount of time that an MFA auth receipt should remain valid (in seconds).', { min: 0, max: 86400 }),
    provider: str('fernet', 'Entry point for the auth receipt provider.', { choices: ['fernet'] }),
    caching: bool(true, 'Toggle for caching receipt validation.'),
    cache_time: optInt('Seconds to cache receipt validation results.'),
    cache_on_issue: bool(true, 'Cache the receipt on issue.', { ignored: true }),
  },
  credential: {
    driver: str('sql', 'Entry point for the credential backend driver.', { choices: ['sql'] }),
    provider: str('fernet', 'Entry point for credential encryption and decryption.', { choices: ['fernet'] }),
    key_repository: str(
      '/etc/keystone/credential-keys/',
      'Directory containing Fernet keys used to encrypt and decrypt credentials stored in the credential backend.',
    ),
    caching: bool(true, 'Toggle for caching only on retrieval of user credentials.'),
    cache_time: optInt('Time to cache credential data in seconds.'),
    auth_ttl: int(
      15,
      'The length of time in minutes for which a signed EC2 or S3 token request is valid from the timestamp contained in the token request.',
    ),
    user_limit: int(-1, 'Maximum number of credentials a user is permitted to create. -1 means unlimited.'),
  },
  cache: {
    enabled: bool(false, 'Global toggle for caching.'),
    backend: str(
      'dogpile.cache.null',
      'Cache backend: dogpile.cache.redis or dogpile.cache.redis_sentinel (Redis through ioredis), dogpile.cache.memory or oslo_cache.dict (in-process), dogpile.cache.null.',
    ),
    backend_argument: multi(
      [],
      'Arguments supplied to the backend module, one "argname:value" per option line (url:redis://127.0.0.1:6379/0, sentinels, service_name, …).',
    ),
    expiration_time: int(600, 'Default TTL, in seconds, for any cached item.'),
    config_prefix: str('cache.oslo', 'Prefix for building the configuration dictionary for the cache region.', { ignored: true }),
    memcache_servers: list(['localhost:11211'], 'Memcache servers (accepted for compatibility; use Redis).', { ignored: true }),
    debug_cache_backend: bool(false, 'Extra debugging from the cache backend.'),
  },
  identity: {
    default_domain_id: str('default', 'The default domain id, used by the v2.0 API and by the external auth method.'),
    domain_specific_drivers_enabled: bool(
      false,
      'A subset (or all) of domains can have their own identity driver, each with its own partial configuration options, stored in keystone.<domain name>.conf files under domain_config_dir or in the database.',
    ),
    domain_configurations_from_database: bool(
      false,
      'Domain-specific configuration is read from the database (the /v3/domains/{domain_id}/config API) instead of domain_config_dir; takes effect only with domain_specific_drivers_enabled.',
    ),
    domain_config_dir: str(
      '/etc/keystone/domains',
      'Where keystone.<domain name>.conf files are read from when domain_specific_drivers_enabled is set.',
    ),
    driver: str('sql', 'Entry point for the identity backend driver: sql or ldap.', { choices: ['sql', 'ldap'] }),
    caching: bool(true, 'Toggle for identity caching.'),
    cache_time: int(600, 'Time to cache identity data (in seconds).'),
    max_password_length: int(4096, 'Maximum allowed length for user passwords.', { min: 1, max: 4096 }),
    list_limit: optInt('Maximum number of entities returned in an identity collection.'),
    password_hash_algorithm: str('bcrypt', 'The password hashing algorithm to use for passwords stored within keystone.', {
      choices: ['bcrypt', 'bcrypt_sha256', 'scrypt', 'pbkdf2_sha512'],
    }),
    password_hash_rounds: optInt(
      "The number of rounds (or work factor) for the password hashing algorithm. Unset means the algorithm's default (bcrypt 12, scrypt 16, pbkdf2_sha512 25000, as passlib).",
    ),
    scrypt_block_size: optInt('Optional block size to pass to scrypt hash function (the r parameter).'),
    scrypt_parallelism: optInt('Optional parallelism to pass to scrypt hash function (the p parameter).'),
    salt_bytesize: optInt('Number of bytes to use in scrypt and pbkdf2_sha512 hashing salt.', { min: 0, max: 96 }),
    password_hash_concurrency: optInt(
      "This server's own option: how many password hashes (verifications included) one process computes at once on libuv's thread pool; the others wait their turn in arrival order, and one whose client hangs up meanwhile is not hashed at all (answered 499 in the access log). Unset: the number of CPUs, at most the pool's size (UV_THREADPOOL_SIZE, 4) less one, so that file and DNS work never waits behind hashes.",
      { min: 1 },
    ),
  },
  identity_mapping: {
    driver: str('sql', 'Entry point for the identity mapping backend driver.', { choices: ['sql'] }),
    generator: str('sha256', 'Entry point for the public ID generator for user and group entities.', { choices: ['sha256'] }),
    backward_compatible_ids: bool(
      true,
      'The default domain on a non-UUID driver (LDAP) keeps the underlying attribute as its public id, without a mapping; disable only without existing assignments to such users and groups.',
    ),
  },
  ldap: {
    url: str('ldap://localhost', 'URL(s) for connecting to the LDAP server; several, separated by commas, are tried in order.'),
    randomize_urls: bool(false, 'Randomize the order of URLs in each keystone process.'),
    user: optStr('The user name of the administrator bind DN to use when querying the LDAP server, if your LDAP server requires it.'),
    password: optStr('The password of the administrator bind DN to use when querying the LDAP server, if your LDAP server requires it.', {
      secret: true,
    }),
    suffix: str(
      'cn=example,cn=com',
      'The default LDAP server suffix to use, if a DN is not defined via either user_tree_dn or group_tree_dn.',
    ),
    query_scope: str('one', 'The search scope: one (onelevel/singleLevel) or sub (subtree/wholeSubtree).', { choices: ['one', 'sub'] }),
    page_size: int(0, 'Defines the maximum number of results per page when paging search results (0 disables paging).', { min: 0 }),
    alias_dereferencing: str('default', "The LDAP dereferencing option to use for queries; default uses the client library's (never).", {
      choices: ['never', 'searching', 'always', 'finding', 'default'],
    }),
    debug_level: optInt('Sets the LDAP debugging level for LDAP calls (accepted for compatibility).', { ignored: true }),
    chase_referrals: optBool('Whether search references returned by the server are followed (unset: not followed).'),
    user_tree_dn: optStr('The search base to use for users. Defaults to ou=Users,${suffix}.'),
    user_filter: optStr('The LDAP search filter to use for users.'),
    user_objectclass: str('inetOrgPerson', 'The LDAP object class to use for users.'),
    user_id_attribute: str('cn', 'The LDAP attribute mapped to user IDs in keystone.'),
    user_name_attribute: str('sn', 'The LDAP attribute mapped to user names in keystone.'),
    user_description_attribute: str('description', 'The LDAP attribute mapped to user descriptions in keystone.'),
    user_mail_attribute: str('mail', 'The LDAP attribute mapped to user emails in keystone.'),
    user_pass_attribute: str('userPassword', 'The LDAP attribute mapped to user passwords in keystone.'),
    user_enabled_attribute: str('enabled', 'The LDAP attribute mapped to the user enabled attribute in keystone.'),
    user_enabled_invert: bool(false, 'Logically negate the boolean value of the enabled attribute.'),
    user_enabled_mask: int(
      0,
      "The bitmask of the enabled attribute (2 for Active Directory's userAccountControl); 0 reads it as a boolean.",
      {
        min: 0,
      },
    ),
    user_enabled_default: str('True', 'The default value of the enabled attribute when the entry has none.'),
    user_attribute_ignore: list(['default_project_id'], 'Attributes not to read from the user entries.'),
    user_default_project_id_attribute: optStr("The LDAP attribute mapped to a user's default_project_id in keystone."),
    user_enabled_emulation: bool(false, 'A user is enabled when it is a member of the group named by user_enabled_emulation_dn.'),
    user_enabled_emulation_dn: optStr('The DN of the enabled users group (default cn=enabled_users,${user_tree_dn}).'),
    user_enabled_emulation_use_group_config: bool(false, 'The enabled users group uses the group_* member and object class options.'),
    user_additional_attribute_mapping: list([], 'Additional LDAP attributes of users, as <ldap_attribute>:<user_attribute> pairs.'),
    group_tree_dn: optStr('The search base to use for groups. Defaults to ou=UserGroups,${suffix}.'),
    group_filter: optStr('The LDAP search filter to use for groups.'),
    group_objectclass: str('groupOfNames', 'The LDAP object class to use for groups.'),
    group_id_attribute: str('cn', 'The LDAP attribute mapped to group IDs in keystone.'),
    group_name_attribute: str('ou', 'The LDAP attribute mapped to group names in keystone.'),
    group_member_attribute: str('member', 'The LDAP attribute used to indicate that a user is a member of the group.'),
    group_members_are_ids: bool(false, 'The group member attribute holds user IDs rather than DNs (posixGroup memberUid).'),
    group_desc_attribute: str('description', 'The LDAP attribute mapped to group descriptions in keystone.'),
    group_attribute_ignore: list([], 'Attributes not to read from the group entries.'),
    group_additional_attribute_mapping: list([], 'Additional LDAP attributes of groups, as <ldap_attribute>:<group_attribute> pairs.'),
    group_ad_nesting: bool(false, "Nested groups through Active Directory's LDAP_MATCHING_RULE_IN_CHAIN."),
    tls_cacertfile: optStr('An absolute path to a CA certificate file to use when communicating with LDAP servers.'),
    tls_cacertdir: optStr('An absolute path to a directory of CA certificates (PEM files) to use when communicating with LDAP servers.'),
    use_tls: bool(false, 'Enable TLS (StartTLS) when talking to ldap:// servers; not for ldaps:// URLs.'),
    tls_req_cert: str('demand', 'Whether the server certificate is checked: demand, allow (accepted but not verified) or never.', {
      choices: ['demand', 'never', 'allow'],
    }),
    connection_timeout: int(-1, 'The connection timeout in seconds to use with the LDAP server; -1 waits forever (here: 30 s at most).', {
      min: -1,
    }),
    use_pool: bool(true, 'Enable LDAP connection pooling for queries to the LDAP server.'),
    pool_size: int(10, 'The size of the LDAP connection pool.', { min: 1 }),
    pool_retry_max: int(3, 'The maximum number of times to attempt connecting to the LDAP server before aborting.', { min: 1 }),
    pool_retry_delay: float(0.1, 'The number of seconds to wait before attempting to reconnect to the LDAP server.'),
    pool_connection_timeout: int(
      -1,
      'The connection timeout in seconds of pooled connections (here it also bounds each operation when connection_timeout is -1); -1 waits forever (here: 30 s at most).',
      {
        min: -1,
      },
    ),
    pool_connection_lifetime: int(600, 'The maximum connection lifetime to the LDAP server in seconds.', { min: 1 }),
    use_auth_pool: bool(true, 'Enable LDAP connection pooling for end user authentication.'),
    auth_pool_size: int(100, 'The size of the connection pool to use for end user authentication.', { min: 1 }),
    auth_pool_connection_lifetime: int(60, 'The maximum end user authentication connection lifetime to the LDAP server in seconds.', {
      min: 1,
    }),
  },
  resource: {
    driver: str('sql', 'Entry point for the resource driver.', { choices: ['sql'] }),
    caching: bool(true, 'Toggle for resource caching.'),
    cache_time: optInt('Time to cache resource data in seconds.'),
    list_limit: optInt('Maximum number of entities returned in a resource collection.'),
    admin_project_domain_name: optStr('Name of the domain that owns the admin_project_name.'),
    admin_project_name: optStr('The name of the admin project, whose admin role holders get is_admin_project.'),
    project_name_url_safe: str('off', 'Whether project names must be URL safe: off, new or strict.', { choices: ['off', 'new', 'strict'] }),
    domain_name_url_safe: str('off', 'Whether domain names must be URL safe: off, new or strict.', { choices: ['off', 'new', 'strict'] }),
  },
  assignment: {
    driver: str('sql', 'Entry point for the assignment backend driver.', { choices: ['sql'] }),
    prohibited_implied_role: list(['admin'], 'A list of role names which are prohibited from being an implied role.'),
  },
  role: {
    driver: str('sql', 'Entry point for the role backend driver.', { choices: ['sql'] }),
    caching: bool(true, 'Toggle for role caching.'),
    cache_time: optInt('Time to cache role data, in seconds.'),
    list_limit: optInt('Maximum number of entities returned in a role collection.'),
  },
  catalog: {
    driver: str('sql', 'Entry point for the catalog driver.', { choices: ['sql'] }),
    caching: bool(true, 'Toggle for catalog caching.'),
    cache_time: optInt('Time to cache catalog data (in seconds).'),
    list_limit: optInt('Maximum number of entities returned in a catalog collection.'),
    template_file: str('default_catalog.templates', 'Templated catalog file (accepted for compatibility).', { ignored: true }),
  },
  endpoint_filter: {
    driver: str('sql', 'Entry point for the endpoint filter driver.', { choices: ['sql'] }),
    return_all_endpoints_if_no_filter: bool(
      true,
      'When the endpoint filters of a project leave its catalog empty: true returns the entire catalog, false an empty one.',
    ),
  },
  trust: {
    allow_redelegation: bool(false, 'Allows authorization to be redelegated from one user to another.'),
    max_redelegation_count: int(3, 'Maximum number of times that authorization can be redelegated.'),
    driver: str('sql', 'Entry point for the trust backend driver.', { choices: ['sql'] }),
  },
  application_credential: {
    driver: str('sql', 'Entry point for the application credential backend driver.', { choices: ['sql'] }),
    caching: bool(true, 'Toggle for application credential caching.'),
    cache_time: optInt('Time to cache application credential data in seconds.'),
    user_limit: int(-1, 'Maximum number of application credentials a user is permitted to create. -1 means unlimited.'),
  },
  oauth1: {
    driver: str('sql', 'Entry point for the OAuth backend driver in the `keystone.oauth1` namespace.', { choices: ['sql'] }),
    request_token_duration: int(
      28800,
      'Number of seconds for the OAuth Request Token to remain valid after being created. This is the amount of time the user has to authorize the token. Setting this option to zero means that request tokens will last forever.',
      { min: 0 },
    ),
    access_token_duration: int(
      86400,
      'Number of seconds for the OAuth Access Token to remain valid after being created. This is the amount of time the consumer has to interact with the service provider (which is typically keystone). Setting this option to zero means that access tokens will last forever.',
      { min: 0 },
    ),
  },
  oauth2: {
    oauth2_authn_methods: list(
      ['tls_client_auth', 'client_secret_basic'],
      "The OAuth 2.0 client authentication methods POST /v3/OS-OAUTH2/token accepts (Keystone 2023.1): tls_client_auth (mutual TLS: the client certificate, from a front proxy in [oauth2] trusted_proxies, mapped to the user named by client_id through the mapping [oauth2] oauth2_cert_dn_mapping_id; the token is bound to the certificate), client_secret_basic (an application credential's id and secret, in the Authorization header or, as Keystone takes them too, in the form) and client_secret_post (the form only).",
      { check: oauth2MethodsProblem },
    ),
    oauth2_cert_dn_mapping_id: str(
      'oauth2_mapping',
      "The id of the mapping (OS-FEDERATION mappings) whose rules turn a client certificate's subject and issuer DN (SSL_CLIENT_SUBJECT_DN_CN, SSL_CLIENT_ISSUER_DN_O, …) into the user they must match.",
    ),
    trusted_proxies: list(
      [],
      'Not in Keystone (which reads SSL_CLIENT_CERT from mod_wsgi): addresses (or CIDR ranges) of the front proxies that terminate TLS, verify client certificates and pass the certificate on in [oauth2] client_cert_header. The header is ignored from anyone else.',
      { check: addressRangesProblem },
    ),
    client_cert_header: str(
      'SSL-Client-Cert',
      'Not in Keystone: the request header in which a trusted front proxy passes the verified client certificate: PEM (Apache: RequestHeader set SSL-Client-Cert "%{SSL_CLIENT_CERT}s"; newlines may arrive as spaces), URL-escaped PEM (nginx: proxy_set_header SSL-Client-Cert $ssl_client_escaped_cert) or base64 DER (HAProxy: %[ssl_c_der,base64]).',
    ),
    client_ca_file: optStr(
      'Not in Keystone: a PEM file of the CA certificates a client certificate must be issued and signed by, checked here besides the front proxy. Unset: the proxy is trusted to have verified the chain (the validity dates are checked here regardless).',
    ),
  },
  revoke: {
    driver: str('sql', 'Entry point for the token revocation backend.', { choices: ['sql'] }),
    expiration_buffer: int(1800, 'Seconds after a token has expired before a corresponding revocation event may be purged.', { min: 0 }),
    caching: bool(true, 'Toggle for revocation event caching.'),
    cache_time: int(3600, 'Time to cache the revocation list and events (in seconds).'),
  },
  unified_limit: {
    driver: str('sql', 'Entry point for the unified limit backend driver.', { choices: ['sql'] }),
    caching: bool(true, 'Toggle for unified limit caching.'),
    cache_time: optInt('Time to cache unified limit data, in seconds.'),
    list_limit: optInt('Maximum number of entities returned in a unified limit collection.'),
    enforcement_model: str('flat', 'The enforcement model to use when validating limits.', { choices: ['flat', 'strict_two_level'] }),
  },
  auth: {
    methods: list(
      ['external', 'password', 'token', 'oauth1', 'mapped', 'application_credential'],
      'Allowed authentication methods. Their order fixes the method bitmask inside Fernet tokens: keep it equal on every node.',
    ),
    password: optStr('Entry point for the password auth plugin module (accepted for compatibility).', { ignored: true }),
    token: optStr('Entry point for the token auth plugin module (accepted for compatibility).', { ignored: true }),
    external: optStr('Entry point for the external (REMOTE_USER) auth plugin module (accepted for compatibility).', { ignored: true }),
    application_credential: optStr('Entry point for the application_credential auth plugin module (accepted for compatibility).', {
      ignored: true,
    }),
    additional_primary_auth_methods: list(
      [],
      'Auth method names, beyond the built-in primary methods (password, totp, mapped, saml2, openid, external, kerberos, x509, token), that authenticate a user directly rather than via a delegated credential.',
    ),
  },
  external_auth: {
    trusted_proxies: list(
      [],
      'Addresses of the front proxies (Apache with Kerberos or X.509) allowed to assert REMOTE_USER. The external method is refused from any other address.',
      { check: addressRangesProblem },
    ),
    remote_user_header: str('X-Remote-User', 'The request header in which a trusted proxy passes REMOTE_USER.'),
  },
  federation: {
    driver: str('sql', 'Entry point for the federation backend driver (accepted for compatibility: SQL only).', { ignored: true }),
    assertion_prefix: str(
      '',
      'Prefix of the request environment names (headers from [federation] trusted_proxies, as a front proxy sets them) taken as a federated assertion and passed to the mapping engine.',
    ),
    remote_id_attribute: optStr(
      "Default for all protocols: the assertion attribute naming the identity provider (its entity id or issuer), checked against the IdP's remote_ids. For mod_shib, Shib-Identity-Provider; for mod_auth_openidc, HTTP_OIDC_ISS. A protocol's remote_id_attribute, then the [<protocol>] remote_id_attribute option ([openid], [saml2]), come first.",
    ),
    federated_domain_name: str(
      'Federated',
      'A domain name reserved for federated ephemeral users (deprecated in Keystone; kept reserved).',
      {
        ignored: true,
      },
    ),
    trusted_dashboard: multi(
      [],
      'A trusted dashboard host (WebSSO): the origin a Single Sign-On request may return a token to. Repeat for several.',
    ),
    sso_callback_template: str(
      '/etc/keystone/sso_callback_template.html',
      'Absolute path to the HTML page that posts the token back to a trusted dashboard after Single Sign-On.',
    ),
    caching: bool(true, 'Toggle for federation caching.'),
    default_authorization_ttl: int(
      0,
      'Default time in minutes for the validity of group memberships carried over from a mapping (when the identity provider sets no authorization_ttl). 0: the memberships last only as long as the federated token that carries the groups.',
      { min: 0 },
    ),
    trusted_proxies: list(
      [],
      'Addresses (or CIDR ranges) of the front proxies (Apache with mod_auth_openidc, mod_shib or mod_auth_mellon; nginx with an OIDC module) whose request headers are taken as the federated assertion at the protocol auth endpoints and the mapped method. Headers from anyone else are ignored.',
      { check: addressRangesProblem },
    ),
  },
  openid: {
    remote_id_attribute: optStr(
      'For protocols named openid: the assertion attribute naming the identity provider (e.g. HTTP_OIDC_ISS behind mod_auth_openidc). Natively validated access tokens give their issuer as OIDC-iss.',
    ),
    audience: list(
      [],
      "Native OpenID Connect: the audiences (aud) a bearer access token must name one of (Keystone's resource indicator or client id at the IdP). Empty: bearer access tokens are not validated here (only a front proxy's assertion is accepted).",
    ),
    claim_prefix: str(
      'OIDC-',
      "Native OpenID Connect: the prefix of the assertion attributes made from a validated access token's claims (OIDC-sub, OIDC-email, OIDC-groups: list claims joined with ';'), as mod_auth_openidc's OIDCClaimPrefix names them.",
    ),
    allowed_algorithms: list(
      ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      'Native OpenID Connect: the JWS algorithms accepted for JWT access tokens (never none, never HMAC).',
    ),
    introspection_client_id: optStr(
      "Native OpenID Connect: Keystone's client id at the identity provider, to introspect opaque access tokens (RFC 7662) at the issuer's introspection_endpoint.",
    ),
    introspection_client_secret: optStr('Native OpenID Connect: the secret of introspection_client_id.', { secret: true }),
    http_timeout: int(10, "Native OpenID Connect: seconds to wait for the identity provider's discovery, JWKS and introspection answers.", {
      min: 1,
    }),
    clock_skew: int(60, 'Native OpenID Connect: seconds of clock difference tolerated on exp and nbf.', { min: 0 }),
    websso_clients_file: optStr(
      'WebSSO without a front proxy: a JSON file naming this server\'s OpenID Connect client at each identity provider ({"<idp id>" or "<idp id>/<protocol id>": {"client_id", "client_secret", "scope", "issuer", "token_endpoint_auth_method"}}). For those, /v3/auth/OS-FEDERATION/websso runs the authorization code flow with PKCE itself; the redirect URI to register at the IdP is <public endpoint>/v3/auth/OS-FEDERATION/identity_providers/<idp id>/protocols/<protocol id>/websso/callback.',
    ),
    websso_request_lifetime: int(600, 'WebSSO without a front proxy: seconds a user may take to sign in at the identity provider.', {
      min: 30,
    }),
  },
  saml2: {
    remote_id_attribute: optStr(
      'For protocols named saml2: the assertion attribute naming the identity provider (e.g. Shib-Identity-Provider).',
    ),
    idp_metadata_dir: optStr(
      "Native SAML 2.0 service provider (no mod_shib): a directory of identity provider metadata files, one per identity provider, named <identity provider id>.xml (the IdP's EntityDescriptor: its entityID, signing certificates and ECP/SOAP SingleSignOnService). An identity provider with such a file is authenticated here: ECP (keystoneauth1's v3samlpassword, Keystone-to-Keystone) at its protocol auth endpoints. Unset: SAML assertions are taken only from a trusted front proxy.",
    ),
    sp_entity_id: optStr(
      "Native SAML 2.0 service provider: this server's entity id, the audience assertions must name. Unset: <public endpoint>/shibboleth, the Shibboleth SP's conventional entity id.",
    ),
    attribute_map_file: optStr(
      'Native SAML 2.0 service provider: a Shibboleth attribute-map.xml (<Attribute name=… id=…/>): each SAML attribute reaches the mapping under its id, attributes it does not name are dropped, as mod_shib exposes them. Unset: every attribute under its SAML Name.',
    ),
    clock_skew: int(
      180,
      'Native SAML 2.0 service provider: seconds of clock difference tolerated on NotBefore and NotOnOrAfter (Shibboleth SP: clockSkew).',
      {
        min: 0,
      },
    ),
    certfile: optStr(
      "Native SAML 2.0 service provider: this server's certificate (PEM), published in its metadata (KeyDescriptor use=\"signing\") for identity providers that want signed AuthnRequests; mod_shib's CredentialResolver certificate (Debian: /etc/shibboleth/sp-signing-cert.pem). With keyfile, WebSSO's AuthnRequests are signed (HTTP-Redirect binding, RSA-SHA256). Unset: they are not, and WebSSO to an identity provider whose metadata says WantAuthnRequestsSigned is refused (401, the reason logged).",
    ),
    keyfile: optStr(
      "Native SAML 2.0 service provider: the private key (PEM) of [saml2] certfile, signing WebSSO's AuthnRequests; mod_shib's CredentialResolver key (Debian: /etc/shibboleth/sp-signing-key.pem).",
    ),
    allow_unsolicited: bool(
      true,
      'Native SAML 2.0 service provider: accept a Response that answers no AuthnRequest of ours (IdP-initiated; Keystone-to-Keystone posts such ECP responses). A Response naming an AuthnRequest must answer one of ours, once.',
    ),
  },
  saml: {
    assertion_expiration_time: int(
      3600,
      'Determines the lifetime for any SAML assertions generated by keystone, using `NotOnOrAfter` attributes.',
    ),
    xmlsec1_binary: str(
      'xmlsec1',
      'Name of, or absolute path to, the binary Keystone uses for XML signing. Accepted for compatibility: assertions are signed here in process (xml-crypto with Node.js crypto), no binary is run.',
      { ignored: true },
    ),
    certfile: str(
      '/etc/keystone/ssl/certs/signing_cert.pem',
      "Absolute path to the public certificate file (PEM) to use for SAML signing: the identity provider's metadata publishes its first certificate, each signed assertion's KeyInfo all of them. Read on every signature (no restart after replacing it).",
    ),
    keyfile: str(
      '/etc/keystone/ssl/private/signing_key.pem',
      'Absolute path to the private key file (PEM, the key of certfile) to use for SAML signing. Read on every signature.',
    ),
    idp_entity_id: optStr(
      'This is the unique entity identifier of the identity provider (keystone) to use when generating SAML assertions. This value is required to generate identity provider metadata and must be a URI (a URL is recommended). For example: `https://keystone.example.com/v3/OS-FEDERATION/saml2/idp`.',
      { check: uriProblem(1024) },
    ),
    idp_sso_endpoint: optStr(
      'This is the single sign-on (SSO) service location of the identity provider which accepts HTTP POST requests. A value is required to generate identity provider metadata. For example: `https://keystone.example.com/v3/OS-FEDERATION/saml2/sso`.',
      { check: uriProblem() },
    ),
    idp_lang: str('en', "This is the language used by the identity provider's organization."),
    idp_organization_name: str('SAML Identity Provider', "This is the name of the identity provider's organization."),
    idp_organization_display_name: str(
      'OpenStack SAML Identity Provider',
      "This is the name of the identity provider's organization to be displayed.",
    ),
    idp_organization_url: str(
      'https://example.com/',
      "This is the URL of the identity provider's organization. The URL referenced here should be useful to humans.",
      { check: uriProblem() },
    ),
    idp_contact_company: str('Example, Inc.', "This is the company name of the identity provider's contact person."),
    idp_contact_name: str('SAML Identity Provider Support', "This is the given name of the identity provider's contact person."),
    idp_contact_surname: str('Support', "This is the surname of the identity provider's contact person."),
    idp_contact_email: str('support@example.com', "This is the email address of the identity provider's contact person."),
    idp_contact_telephone: str('+1 800 555 0100', "This is the telephone number of the identity provider's contact person."),
    idp_contact_type: str('other', "This is the type of contact that best describes the identity provider's contact person.", {
      choices: ['technical', 'support', 'administrative', 'billing', 'other'],
    }),
    idp_metadata_path: str(
      '/etc/keystone/saml2_idp_metadata.xml',
      'Absolute path to the identity provider metadata file. This file should be generated with the `keystone-manage saml_idp_metadata` command. There is typically no reason to change this value.',
    ),
    relay_state_prefix: str(
      'ss:mem:',
      'The prefix of the RelayState SAML attribute to use when generating enhanced client and proxy (ECP) assertions (the default of a service provider created without one). In a typical deployment, there is no reason to change this value.',
    ),
  },
  security_compliance: {
    disable_user_account_days_inactive: optInt(
      'The maximum number of days a user can go without authenticating before being considered "inactive" and automatically disabled.',
      { min: 1 },
    ),
    lockout_failure_attempts: optInt(
      'The maximum number of times that a user can fail to authenticate before the user account is locked.',
      { min: 1 },
    ),
    lockout_duration: int(
      1800,
      'The number of seconds a user account will be locked when the maximum number of failed authentication attempts is exceeded.',
      { min: 1 },
    ),
    password_expires_days: optInt('The number of days for which a password will be considered valid before requiring it to be changed.', {
      min: 0,
    }),
    unique_last_password_count: int(0, 'The number of previous passwords a new password may not repeat.', { min: 0 }),
    minimum_password_age: int(0, 'The number of days that a password must be used before the user can change it.', { min: 0 }),
    password_regex: optStr('The regular expression used to validate password strength requirements.'),
    password_regex_description: optStr('Describes the password_regex in plain language, for error messages.'),
    change_password_upon_first_use: bool(false, 'Require a user to change their password upon first use.'),
    report_invalid_password_hash: list([], 'Extra information about invalid password attempts (accepted for compatibility).', {
      ignored: true,
    }),
    allow_insecure_admin_trust_cross_project_credentials_access: bool(
      false,
      'INSECURE: exempt admin-role delegated tokens (trusts, application credentials, OAuth1, EC2) from the refusal of /v3/credentials, for ec2-type credentials only (deprecated, as in Keystone).',
    ),
    allow_insecure_application_credential_trust_escalation: bool(
      false,
      'INSECURE: allow application credential tokens (restricted ones included) to create, delete and list trusts.',
    ),
  },
  oslo_middleware: {
    max_request_body_size: int(114688, 'The maximum body size for each request, in bytes.', { min: 1 }),
    enable_proxy_headers_parsing: bool(
      false,
      'Whether the application is behind a proxy whose X-Forwarded-* / Forwarded headers are honoured.',
    ),
  },
  oslo_policy: {
    policy_file: str(
      'policy.yaml',
      'The relative or absolute path of a file that maps roles to permissions (YAML or JSON). A relative path is looked for beside the configuration files, then in ~/.keystone, ~, /etc/keystone and /etc; with the default name, a policy.json is used when there is no policy.yaml.',
    ),
    policy_default_rule: str('default', 'Default rule, enforced when a requested rule is not found.'),
    policy_dirs: multi(
      ['policy.d'],
      'Directories where policy configuration files are stored (relative ones found as policy_file is); their files are applied in name order over policy_file. Missing or empty directories are ignored.',
    ),
    enforce_scope: bool(
      false,
      'Refuse (403) a token whose scope (system, domain, project) is not among the scope types of the rule being enforced.',
    ),
    enforce_new_defaults: bool(
      false,
      'Use the new defaults only; when false, each deprecated default rule is OR-ed with its replacement, as Keystone 22 ships.',
    ),
    remote_content_type: str(
      'application/x-www-form-urlencoded',
      'Content type for REST based policy checks (accepted for compatibility; http: checks are not supported).',
      { ignored: true },
    ),
    remote_ssl_verify_server_crt: bool(false, 'Server identity verification for REST based policy checks (accepted for compatibility).', {
      ignored: true,
    }),
    remote_ssl_ca_crt_file: optStr('CA certificate file for REST based policy checks (accepted for compatibility).', { ignored: true }),
    remote_ssl_client_crt_file: optStr('Client certificate for REST based policy checks (accepted for compatibility).', { ignored: true }),
    remote_ssl_client_key_file: optStr('Client key file for REST based policy checks (accepted for compatibility).', { ignored: true }),
  },
  eventlet_server: {
    public_bind_host: str('0.0.0.0', 'The IP address of the network interface for the public service to listen on.'),
    public_port: int(5000, 'The port number for the public service to listen on.', { min: 0, max: 65535 }),
    admin_bind_host: str('0.0.0.0', 'The IP address of the network interface for the admin service to listen on.'),
    admin_port: int(35357, 'The port number for the admin service to listen on.', { min: 0, max: 65535 }),
    public_workers: optInt('The number of worker processes to serve the public endpoint. Defaults to ceil(CPUs × 1.5).', { min: 1 }),
    admin_workers: optInt('The number of worker processes to serve the admin endpoint. Defaults to ceil(CPUs × 1.5).', { min: 1 }),
    shutdown_timeout: int(30, 'Seconds in-flight requests get to finish after SIGTERM before workers are stopped.', { min: 0 }),
    tcp_keepidle: int(600, 'Sets the value of TCP_KEEPIDLE in seconds for each server socket.'),
  },
  metrics: {
    enabled: bool(true, 'Serve the Prometheus metrics of every worker, aggregated by the primary process.'),
    bind_host: str('127.0.0.1', 'The address the metrics listener binds to.'),
    port: int(9180, 'The port of the metrics listener (GET /metrics).', { min: 0, max: 65535 }),
  },
  healthcheck: {
    path: str(
      '/healthcheck',
      'The path to respond to healthcheck requests on (accepted for compatibility: as in Keystone, the health check is always /healthcheck on both services).',
      { ignored: true },
    ),
    detailed: bool(
      false,
      "Show more detailed information (pid, uptime, versions, each check's details and the database's answer time) to GET /healthcheck?detail or a request that accepts application/json. Security note: this information helps an attacker; enable it only together with allowed_source_ranges.",
    ),
    backends: list(
      [],
      'Additional oslo.middleware backends (accepted for compatibility; the checks here are fixed: the database answers within 2 s, and the worker is not draining).',
      { ignored: true },
    ),
    allowed_source_ranges: list(
      [],
      'A list of network addresses (CIDR) or addresses to limit the source IPs allowed to access healthcheck information. Requests from outside these ranges are not answered by the health check (404). Empty: every caller.',
      { check: addressRangesProblem },
    ),
    ignore_proxied_requests: bool(
      false,
      "Ignore (404) health check requests that carry proxy headers (X-Forwarded, X-Forwarded-Proto, -Host, -For, -Prefix, Forwarded): only direct callers, such as a load balancer's probe, are answered.",
    ),
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;

export type Options = typeof OPTIONS;
export type SectionName = keyof Options;
type ValueOf<O> = O extends OptionSpec<infer T> ? T : never;
/** The loaded configuration: conf.token.expiration, conf.cache.backend_argument, … */
export type KeystoneConfig = {
  readonly [S in SectionName]: { readonly [O in keyof Options[S]]: ValueOf<Options[S][O]> };
};
