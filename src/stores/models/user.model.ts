export type ClaimValue = string | number | boolean | readonly string[];

export interface User {
  readonly subjectId: string;
  readonly username: string;
  readonly claims: Readonly<Record<string, ClaimValue>>;
}
