// The typed RPC between the UI (main thread) and the worker that owns the
// database. Messages are plain objects (structured clone):
//   UI → worker   {id, method, args}
//   worker → UI   {id, ok: true, result} | {id, ok: false, error}
//                 {event, data}   (no id: a notification)
// A worker that does not own the database (another tab holds the Web Lock)
// forwards the same messages to the owner over BroadcastChannel; the UI
// does not know the difference.

export interface ApiError {
  code: string;
  message: string;
}

export interface User {
  id: string;
  accountId: string;
  email: string;
  name: string;
  phone: string;
  role: 'customer' | 'customer_admin' | 'agent' | 'admin';
  status: string;
}

export interface CaseRow {
  id: string;
  number: string;
  accountId: string;
  contactId: string;
  serviceId: string;
  productId: string;
  issueTypeId: string;
  contactHours: string;
  contactPhone: string;
  subject: string;
  description: string;
  priority: number;
  state: CaseState;
  channel: string;
  parentId: string;
  createdAt: string;
  updatedAt: string;
  resolutionCode?: string;
  resolutionNotes?: string;
  pending: boolean;
  contactName: string;
  accountName: string;
}

export type CaseState =
  | 'new'
  | 'open'
  | 'awaiting_info'
  | 'resolved'
  | 'closed'
  | 'canceled';

export interface CommentRow {
  id: string;
  caseId: string;
  authorId: string;
  authorName: string;
  body: string;
  visibility: 'public' | 'internal';
  createdAt: string;
}

export interface CatalogItem {
  kind: 'service' | 'product' | 'issue_type';
  id: string;
  parentId: string;
  name: string;
  sort: number;
  active: boolean;
}

export interface FieldError {
  field: string;
  code: string;
  messageEs: string;
  messageEn: string;
}

export interface Draft {
  key: string;
  kind: string;
  value: Record<string, unknown>;
  updatedAt: string;
}

export interface RejectionRow {
  mutationId: number;
  code: string;
  message: string;
  mutation: {id: number; name: string; args: Record<string, unknown>};
  draftKey: string;
  receivedAt: string;
}

export interface CaseQuery {
  state?: CaseState | '';
  search?: string;
  productId?: string;
  order?: 'updatedDesc' | 'updatedAsc' | 'numberDesc' | 'createdDesc';
  limit?: number;
  offset?: number;
}

// What the status bar shows.
export interface AppStatus {
  storage: 'opfs' | 'idb' | 'memory' | 'remote';  // remote: another tab's
  owner: boolean;
  online: boolean;
  session: 'none' | 'active' | 'expired' | 'password_change';
  user: User | null;
  pending: number;
  lastSyncAt: string;
  openRejections: number;
  phase: string;
  firstSync: {active: boolean; rows: number; pages: number};
  persisted: boolean;
}

export interface Labels {
  states: Record<CaseState, {es: string; en: string}>;
  priorities: Record<string, {es: string; en: string}>;
  limits: Record<string, number>;
}

// Every method the worker answers, with its arguments and result.
export interface Api {
  status(): AppStatus;
  labels(): Labels;
  login(email: string, password: string, remember: boolean):
      {mustChangePassword: boolean; user: User};
  logout(): void;
  changePassword(oldPassword: string, newPassword: string): void;
  register(email: string, name: string, phone: string, password: string):
      {user: User};
  resetRequest(email: string): void;
  resetConfirm(token: string, newPassword: string): void;
  listCases(q: CaseQuery): CaseRow[];
  counts(): Partial<Record<CaseState, number>>;
  getCase(id: string): CaseRow | null;
  comments(caseId: string): CommentRow[];
  catalog(): CatalogItem[];
  validateCaseForm(args: Record<string, unknown>): FieldError[];
  mutate(name: string, args: Record<string, unknown>): {mutationId: number};
  drafts(): Draft[];
  saveDraft(key: string, kind: string, value: Record<string, unknown>): void;
  deleteDraft(key: string): void;
  rejections(): RejectionRow[];
  dismissRejection(mutationId: number): void;
  syncNow(): void;
}

export type Method = keyof Api;
export type Args<M extends Method> = Parameters<Api[M]>;
export type Ret<M extends Method> = ReturnType<Api[M]>;

export interface RpcRequest {
  id: number;
  method: Method;
  args: unknown[];
}
export type RpcResponse =
  | {id: number; ok: true; result: unknown}
  | {id: number; ok: false; error: ApiError};
export interface RpcEvent {
  event: 'status' | 'changed';
  data: unknown;
}

export class RpcError extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

// The UI's end: call('listCases', q) → Promise<CaseRow[]>.
export class WorkerClient {
  private next = 1;
  private waiting = new Map<
      number, {resolve: (v: unknown) => void; reject: (e: unknown) => void}>();
  private listeners = new Map<string, Array<(d: unknown) => void>>();

  constructor(private worker: Worker) {
    worker.onmessage = (e: MessageEvent) => {
      const m = e.data as RpcResponse | RpcEvent;
      if ('event' in m) {
        for (const f of this.listeners.get(m.event) ?? []) f(m.data);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new RpcError(m.error.code, m.error.message));
    };
  }

  call<M extends Method>(method: M, ...args: Args<M>): Promise<Ret<M>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {resolve: resolve as (v: unknown) => void, reject});
      this.worker.postMessage({id, method, args} satisfies RpcRequest);
    });
  }

  on(event: RpcEvent['event'], f: (d: unknown) => void): void {
    const list = this.listeners.get(event) ?? [];
    list.push(f);
    this.listeners.set(event, list);
  }
}
