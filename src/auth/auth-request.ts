/**
 * The body of POST /v3/auth/tokens, checked once (Keystone's
 * keystone/auth/schema.py plus its extra "id or name" rules and the size
 * limits) and returned typed.
 */
import { SchemaValidationError } from '../common/errors.js';
import type { KeystoneConfig } from '../config/options.js';
import { validateBody } from '../api/validate-body.js';
import { ExpectingToFind, ValidationSizeError } from './auth-errors.js';

const idName = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } as const;

const TOKEN_ISSUE_SCHEMA = {
  type: 'object',
  properties: {
    identity: {
      type: 'object',
      properties: {
        methods: { type: 'array', items: { type: 'string' } },
        password: {
          type: 'object',
          properties: {
            user: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, domain: idName },
            },
          },
        },
        token: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
      required: ['methods'],
    },
    scope: {
      type: ['object', 'string'],
      properties: {
        project: { type: 'object', properties: { name: { type: 'string' }, id: { type: 'string' }, domain: idName } },
        domain: idName,
        'OS-TRUST:trust': { type: 'object', properties: { id: { type: 'string' } } },
        system: { type: 'object', properties: { all: { type: 'boolean' } } },
      },
    },
  },
  required: ['identity'],
} as const;

export interface IdOrName {
  id?: string;
  name?: string;
}

export interface AuthRequest {
  identity: { methods: string[] } & Record<string, unknown>;
  scope?: Record<string, unknown> | string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireIdOrName(value: unknown, field: string): void {
  if (isObject(value) && !('id' in value) && !('name' in value)) {
    throw new SchemaValidationError(`Invalid input for field ${field}: id or name must be present.`);
  }
}

/**
 * [DEFAULT] max_param_size for ids and names, [DEFAULT] max_token_size for
 * token ids (never under 8192) and [identity] max_password_length for
 * passwords: refused with a 400 before anything is looked up or hashed.
 */
export interface AuthRequestLimits {
  maxParamSize: number;
  maxTokenSize: number;
  maxPasswordLength: number;
}

export function authRequestLimits(conf: KeystoneConfig): AuthRequestLimits {
  return {
    maxParamSize: conf.DEFAULT.max_param_size,
    maxTokenSize: Math.max(conf.DEFAULT.max_token_size, 8192),
    maxPasswordLength: conf.identity.max_password_length,
  };
}

/** Validates {"auth": …}; throws 400s with Keystone's messages. */
export function parseAuthRequest(body: unknown, limits: AuthRequestLimits): AuthRequest {
  const auth = isObject(body) ? body.auth : undefined;
  if (auth === undefined || auth === null || (isObject(auth) && Object.keys(auth).length === 0))
    throw new ExpectingToFind('auth', 'request body');
  validateBody(TOKEN_ISSUE_SCHEMA, auth);
  const a = auth as unknown as AuthRequest;
  const user = isObject(a.identity.password) ? a.identity.password.user : undefined;
  if (user !== undefined) {
    requireIdOrName(user, 'identity/password/user');
    if (isObject(user)) requireIdOrName(user.domain, 'identity/password/user/domain');
  }
  if (isObject(a.scope)) {
    const project = a.scope.project;
    if (project !== undefined) {
      requireIdOrName(project, 'scope/project');
      if (isObject(project)) requireIdOrName(project.domain, 'scope/project/domain');
    }
    if (a.scope.domain !== undefined) requireIdOrName(a.scope.domain, 'scope/domain');
  }
  checkParamSizes(a, limits);
  return a;
}

function checkParamSizes(a: AuthRequest, limits: AuthRequestLimits): void {
  const maxParam = limits.maxParamSize;
  const check = (value: unknown, attribute: string, max = maxParam) => {
    if (typeof value === 'string' && value.length > max) throw new ValidationSizeError(attribute, max);
  };
  const checkRef = (ref: unknown, prefix: string) => {
    if (!isObject(ref)) return;
    check(ref.id, `${prefix}id`);
    check(ref.name, `${prefix}name`);
    if (isObject(ref.domain)) {
      check(ref.domain.id, `${prefix}domain id`);
      check(ref.domain.name, `${prefix}domain name`);
    }
  };
  for (const method of ['password', 'totp']) {
    const data = a.identity[method];
    if (!isObject(data) || !isObject(data.user)) continue;
    checkRef(data.user, 'user ');
    const password = data.user.password;
    if (typeof password === 'string' && Buffer.byteLength(password, 'utf8') > limits.maxPasswordLength) {
      throw new ValidationSizeError('password', limits.maxPasswordLength);
    }
  }
  const token = a.identity.token;
  if (isObject(token)) check(token.id, 'token id', limits.maxTokenSize);
  const appCred = a.identity.application_credential;
  if (isObject(appCred)) {
    check(appCred.id, 'application credential id');
    check(appCred.name, 'application credential name', 255);
    if (isObject(appCred.user)) checkRef(appCred.user, 'user ');
  }
  if (isObject(a.scope)) {
    checkRef(a.scope.project, 'project ');
    checkRef(a.scope.domain, 'domain ');
  }
}
