/**
 * Authentication step 5 (v3 only): an Openstack-Auth-Receipt header names
 * the methods an earlier, partial login of the same user already did; they
 * count towards the MFA rules as if done now. A receipt that is invalid,
 * expired or another user's: 401 (ReceiptNotFound).
 */
import type { Request } from 'express';
import { ReceiptNotFound } from '../../receipt/receipt-formatter.js';
import { AUTH_RECEIPT_HEADER, type ReceiptProvider } from '../../receipt/receipt-provider.js';

/** The receipt's methods; none without the header. */
export function receiptMethods(receipts: Pick<ReceiptProvider, 'validate'>, req: Request, userId: string): readonly string[] {
  const header = req.headers[AUTH_RECEIPT_HEADER.toLowerCase()];
  const receiptId = Array.isArray(header) ? header[0] : header;
  if (!receiptId) return [];
  const receipt = receipts.validate(receiptId);
  if (receipt.userId !== userId) throw new ReceiptNotFound(receiptId);
  return receipt.methods;
}
