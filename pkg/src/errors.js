// The one error class of the package. The wasm side builds every error as details
// ({code, message, status?, retryable, issues?, invokeId?, upstreamCode?, upstreamCorrelationId?, missingScope?,
// retryAfterMs?, field?}) and the entry module registers `fromDetails` so that what is thrown
// is an instance of this class.

export class DataActionsError extends Error {
  constructor(details) {
    const d = details !== null && typeof details === 'object' ? details : { message: String(details) };
    super(typeof d.message === 'string' ? d.message : 'data actions error');
    this.name = 'DataActionsError';
    this.code = typeof d.code === 'string' ? d.code : 'upstream';
    this.status = typeof d.status === 'number' ? d.status : undefined;
    this.retryable = d.retryable === true;
    this.issues = Array.isArray(d.issues) ? d.issues : [];
    for (const key of ['invokeId', 'upstreamCode', 'upstreamCorrelationId', 'missingScope', 'retryAfterMs', 'field']) {
      if (d[key] !== undefined && d[key] !== null) this[key] = d[key];
    }
  }

  toJSON() {
    const out = { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
    for (const key of ['status', 'invokeId', 'upstreamCode', 'upstreamCorrelationId', 'missingScope', 'retryAfterMs', 'field']) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    if (this.issues.length > 0) out.issues = this.issues;
    return out;
  }
}

export function fromDetails(details) {
  return new DataActionsError(details);
}
