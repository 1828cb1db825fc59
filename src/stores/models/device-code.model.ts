/** A device authorization (RFC 8628), looked up by device-code hash or by user code. */
export interface DeviceCodeRecord {
  /** hash of the device code */
  readonly deviceCodeHash: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly subjectId?: string;
  readonly sessionId?: string;
  readonly creationTime: Date;
  readonly expiration: Date;
  /** protected payload: requested scopes, authorization result */
  readonly data: string;
}
