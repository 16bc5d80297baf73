// The screens. lit-html templates (escaped by default, no inline styles or
// handlers in the markup: CSP), re-rendered on every state change; data comes
// from the worker over the typed RPC.
import {html, nothing, render, type TemplateResult} from 'lit-html';

import {uuidv7} from '../ids';
import type {
  AppStatus,
  CaseQuery,
  CaseRow,
  CaseState,
  CatalogItem,
  CommentRow,
  FieldError,
  Labels,
  RejectionRow,
  WorkerClient,
} from '../rpc';
import {formatTime, getLang, nextStep, setLang, t} from './i18n';

const PAGE = 50;
const STATES: CaseState[] =
    ['new', 'open', 'awaiting_info', 'resolved', 'closed', 'canceled'];

interface State {
  status: AppStatus | null;
  labels: Labels | null;
  catalog: CatalogItem[];
  message: string;  // one-off notice (aria-live) for the route below
  messageRoute: string;
  error: string;
  // list
  query: CaseQuery;
  rows: CaseRow[];
  hasMore: boolean;
  counts: Partial<Record<CaseState, number>>;
  // detail
  detail: CaseRow | null;
  comments: CommentRow[];
  // form
  form: Record<string, string>;
  formErrors: FieldError[];
  rejections: RejectionRow[];
  update: ServiceWorker | null;
}

let rpc: WorkerClient;
// Keyset paging of the list: the last row of every page before the current
// one (Siguiente pushes, Anterior pops, a new filter or order empties it).
// The core pages after the top one, so a deep page costs what the first does.
type PageKey = Pick<CaseRow, 'id' | 'number' | 'createdAt' | 'updatedAt'>;
let pageAfter: PageKey[] = [];
const pageKey = (r: CaseRow): PageKey =>
  ({id: r.id, number: r.number, createdAt: r.createdAt, updatedAt: r.updatedAt});
const s: State = {
  status: null,
  labels: null,
  catalog: [],
  message: '',
  messageRoute: '',
  error: '',
  query: {state: '', search: '', order: 'updatedDesc', offset: 0},
  rows: [],
  hasMore: false,
  counts: {},
  detail: null,
  comments: [],
  form: {},
  formErrors: [],
  rejections: [],
  update: null,
};

const root = () => document.getElementById('app')!;
const route = () => location.hash.replace(/^#\/?/, '') || '';
const go = (r: string) => {
  location.hash = `#/${r}`;
};
const isStaff = () =>
    s.status?.user?.role === 'agent' || s.status?.user?.role === 'admin';

function stateLabel(st: CaseState): string {
  return s.labels?.states[st]?.[getLang()] ?? st;
}
function priorityLabel(p: number): string {
  return s.labels?.priorities[String(p)]?.[getLang()] ?? String(p);
}
function catalogName(id: string): string {
  return s.catalog.find((c) => c.id === id)?.name ?? '';
}
// A notice for the screen at `forRoute` (e.g. the sign-in form after
// registering); other screens do not show it.
function notice(text: string, forRoute: string): void {
  s.message = text;
  s.messageRoute = forRoute;
}

function errMsg(e: unknown): string {
  return (e as Error).message ?? String(e);
}

// ------------------------------------------------------------ refreshing

let loading = false;
let reload = false;  // a refresh was asked for while one ran
async function refresh(): Promise<void> {
  if (loading) {
    reload = true;
    return;
  }
  loading = true;
  reload = false;
  try {
    s.status = await rpc.call('status');
    const r = route();
    const signedIn = !!s.status.user;
    if (signedIn) {
      s.rejections = await rpc.call('rejections');
      if (!s.catalog.length) s.catalog = await rpc.call('catalog');
    }
    if (signedIn && (r === 'casos' || r === 'validar' || r === 'cola' ||
                     r === '')) {
      const q: CaseQuery & {after?: PageKey} = {...s.query, limit: PAGE + 1};
      if (!q.state) delete q.state;
      if (pageAfter.length) q.after = pageAfter[pageAfter.length - 1];
      const rows = await rpc.call('listCases', q);
      s.hasMore = rows.length > PAGE;
      s.rows = rows.slice(0, PAGE);
      s.counts = await rpc.call('counts');
    } else if (signedIn && r.startsWith('caso/')) {
      const id = decodeURIComponent(r.slice(5));
      s.detail = await rpc.call('getCase', id);
      s.comments = s.detail ? await rpc.call('comments', id) : [];
    }
  } catch (e) {
    s.error = errMsg(e);
  } finally {
    loading = false;
  }
  draw();
  if (reload) void refresh();
}

function draw(): void {
  render(page(), root());
}

// ------------------------------------------------------------- layout

function page(): TemplateResult {
  const st = s.status;
  const r = route();
  let body: TemplateResult;
  if (!st) {
    body = html`<p>…</p>`;
  } else if (r === 'registrar') {
    body = registerScreen();
  } else if (r === 'restablecer') {
    body = resetScreen();
  } else if (!st.user || r === 'login') {
    body = loginScreen();
  } else if (st.session === 'password_change' || r === 'cambiar-clave') {
    body = changePasswordScreen();
  } else if (r.startsWith('solicitar')) {
    body = requestScreen();
  } else if (r.startsWith('caso/')) {
    body = detailScreen();
  } else {
    body = listScreen();
  }
  return html`
    <header class="top">
      <span class="brand">casesync</span>
      ${st?.user ? nav() : nothing}
      <button type="button" class="link" id="lang"
          @click=${() => { setLang(getLang() === 'es' ? 'en' : 'es'); draw(); }}>
        ${getLang() === 'es' ? 'English' : 'Español'}</button>
    </header>
    ${statusBar()}
    ${s.update ? html`<div class="banner" id="update" role="status">
        ${getLang() === 'es' ? 'Hay una nueva versión.' : 'A new version is available.'}
        <button type="button" @click=${applyUpdate}>
          ${getLang() === 'es' ? 'Actualizar' : 'Update'}</button></div>` : nothing}
    ${st?.user ? rejectionsBanner() : nothing}
    <main id="main">
      ${s.error ? html`<p class="error" role="alert">${s.error}</p>` : nothing}
      ${s.message && s.messageRoute === r ?
          html`<p class="notice" id="notice" role="status">${s.message}</p>` : nothing}
      ${body}
    </main>`;
}

function nav(): TemplateResult {
  const staff = isStaff();
  return html`<nav aria-label="Principal">
    ${staff ? html`<a href="#/cola">${t('Cola de casos')}</a>` :
              html`<a href="#/casos">${t('Mis casos')}</a>`}
    <a href="#/solicitar">${t('Solicitar')}</a>
    ${staff ? nothing : html`<a href="#/validar">${t('Validar')}</a>`}
    <button type="button" class="link" @click=${logout}>${t('Cerrar sesión')}</button>
  </nav>`;
}

function statusBar(): TemplateResult {
  const st = s.status;
  if (!st) return html`<div class="status" role="status" aria-live="polite"></div>`;
  return html`<div class="status" id="status" role="status" aria-live="polite">
    <span class=${st.online ? 'online' : 'offline'} id="net">
      ${st.online ? t('en línea') : t('sin conexión')}</span>
    <span id="pending">${st.pending} ${t('cambios pendientes')}</span>
    <span id="lastsync">${t('Última sincronización')}: ${formatTime(st.lastSyncAt)}</span>
    ${st.session === 'expired' && st.user ? html`<span class="warn" id="expired">
        ${t('Sesión expirada: tus cambios quedan en cola.')}
        <a href="#/login">${t('Iniciar sesión')}</a></span>` : nothing}
    ${st.storage === 'remote' ? html`<span class="note">
        ${t('Abierto en otra pestaña: esta pestaña trabaja a través de ella.')}</span>` : nothing}
    ${st.storage === 'opfs' || st.storage === 'idb' ? html`<span class="note"
        id="storage" data-storage=${st.storage}>${t('Datos guardados en')} ${
        t(st.storage === 'idb' ? 'este navegador (IndexedDB)' :
                                 'este navegador (OPFS)')}</span>` : nothing}
    ${st.storage === 'memory' ? html`<span class="warn" id="storage" data-storage="memory">
        ${t('Sin almacenamiento persistente: los datos se pierden al cerrar.')}</span>` : nothing}
    ${st.firstSync.active ? html`<label class="progress">
        ${t('Sincronizando por primera vez…')} ${st.firstSync.rows} ${t('filas')}
        <progress id="firstsync"></progress></label>` : nothing}
  </div>`;
}

function keptText(r: RejectionRow): string {
  const a = r.mutation.args as Record<string, string>;
  return a.body ?? a.comment ?? a.description ?? a.reason ?? a.notes ?? '';
}

function rejectionsBanner(): TemplateResult | typeof nothing {
  if (!s.rejections.length) return nothing;
  return html`<section class="rejections" role="alert" aria-label=${t('Cambios rechazados')}>
    <h2>${t('Cambios rechazados')}</h2>
    ${s.rejections.map((r) => html`<div class="rejection" data-code=${r.code}>
      <p><strong>${r.message}</strong></p>
      <p>${t('Lo que puede hacer:')} ${nextStep(r.code, r.mutation.name)}</p>
      ${keptText(r) ? html`<p>${t('Su texto se conservó:')}</p>
        <blockquote class="kept">${keptText(r)}</blockquote>` : nothing}
      ${r.draftKey ? html`<button type="button" class="followup"
          @click=${() => go(`solicitar?draft=${encodeURIComponent(r.draftKey)}&rejection=${r.mutationId}`)}>
          ${t('Abrir como caso de seguimiento')}</button>` : nothing}
      <button type="button" @click=${async () => {
        await rpc.call('dismissRejection', r.mutationId);
      }}>${t('Descartar')}</button>
    </div>`)}
  </section>`;
}

// ------------------------------------------------------------- sign-in

function fd(e: Event): Record<string, string> {
  e.preventDefault();
  const f = new FormData(e.target as HTMLFormElement);
  const out: Record<string, string> = {};
  f.forEach((v, k) => (out[k] = String(v)));
  return out;
}

function loginScreen(): TemplateResult {
  const submit = async (e: Event) => {
    const v = fd(e);
    s.error = '';
    try {
      const r = await rpc.call('login', v.email, v.password, v.remember === 'on');
      go(r.mustChangePassword ? 'cambiar-clave' :
         (r.user.role === 'agent' || r.user.role === 'admin') ? 'cola' : 'casos');
    } catch (err) {
      s.error = (err as {code?: string}).code === 'offline' ?
          t('Sin conexión: inicie sesión cuando vuelva la conexión.') : errMsg(err);
    }
    void refresh();
  };
  return html`<h1>${t('Iniciar sesión')}</h1>
    <form class="card" id="login" @submit=${submit}>
      <label for="email">${t('Nombre de usuario')}</label>
      <input id="email" name="email" type="email" autocomplete="username" required>
      <label for="password">${t('Contraseña')}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <label class="check"><input type="checkbox" name="remember" id="remember"> ${t('Recordarme')}</label>
      <button type="submit">${t('Iniciar sesión')}</button>
      <p><a href="#/restablecer">${t('Restablecer contraseña')}</a> ·
         <a href="#/registrar">${t('Registrar')}</a></p>
    </form>`;
}

function registerScreen(): TemplateResult {
  const submit = async (e: Event) => {
    const v = fd(e);
    s.error = '';
    try {
      const {user} =
          await rpc.call('register', v.email, v.name, v.phone, v.password);
      // A trusted e-mail domain joins its account at once; any other
      // waits for the help desk's review (DESIGN.md §6).
      notice(user.status === 'pending' ?
                 t('Registro recibido: la mesa de ayuda revisará su cuenta antes de que pueda iniciar sesión.') :
                 t('Cuenta creada. Ya puede iniciar sesión.'),
             'login');
      go('login');
    } catch (err) {
      s.error = errMsg(err);
    }
    draw();
  };
  return html`<h1>${t('Registrar')}</h1>
    <form class="card" id="register" @submit=${submit}>
      <label for="r-email">${t('Correo electrónico')}</label>
      <input id="r-email" name="email" type="email" required>
      <label for="r-name">${t('Nombre completo')}</label>
      <input id="r-name" name="name" required>
      <label for="r-phone">${t('Teléfono')}</label>
      <input id="r-phone" name="phone" type="tel">
      <label for="r-password">${t('Contraseña')}</label>
      <input id="r-password" name="password" type="password" minlength="10" required autocomplete="new-password">
      <button type="submit">${t('Crear cuenta')}</button>
      <p><a href="#/login">${t('Iniciar sesión')}</a></p>
    </form>`;
}

function resetScreen(): TemplateResult {
  const request = async (e: Event) => {
    const v = fd(e);
    try {
      await rpc.call('resetRequest', v.email);
      notice(t('Si el correo está registrado, enviamos un código para restablecer la contraseña.'),
             'restablecer');
      s.error = '';
    } catch (err) {
      s.error = errMsg(err);
    }
    draw();
  };
  const confirm = async (e: Event) => {
    const v = fd(e);
    try {
      await rpc.call('resetConfirm', v.token, v.newPassword);
      s.error = '';
      notice(t('Contraseña cambiada. Ya puede iniciar sesión.'), 'login');
      go('login');
    } catch (err) {
      s.error = errMsg(err);
      draw();
    }
  };
  return html`<h1>${t('Restablecer contraseña')}</h1>
    <form class="card" id="reset-request" @submit=${request}>
      <label for="reset-email">${t('Correo electrónico')}</label>
      <input id="reset-email" name="email" type="email" required>
      <button type="submit">${t('Enviar')}</button>
    </form>
    <form class="card" id="reset-confirm" @submit=${confirm}>
      <label for="reset-token">${t('Código recibido por correo')}</label>
      <input id="reset-token" name="token" required>
      <label for="reset-new">${t('Nueva contraseña')}</label>
      <input id="reset-new" name="newPassword" type="password" minlength="10" required autocomplete="new-password">
      <button type="submit">${t('Cambiar contraseña')}</button>
    </form>
    <p><a href="#/login">${t('Iniciar sesión')}</a></p>`;
}

function changePasswordScreen(): TemplateResult {
  const submit = async (e: Event) => {
    const v = fd(e);
    try {
      await rpc.call('changePassword', v.oldPassword, v.newPassword);
      s.error = '';
      go(isStaff() ? 'cola' : 'casos');
    } catch (err) {
      s.error = errMsg(err);
      draw();
    }
  };
  return html`<h1>${t('Cambiar contraseña')}</h1>
    <p>${t('Debe cambiar su contraseña temporal.')}</p>
    <form class="card" id="change-password" @submit=${submit}>
      <label for="cp-old">${t('Contraseña actual')}</label>
      <input id="cp-old" name="oldPassword" type="password" required autocomplete="current-password">
      <label for="cp-new">${t('Nueva contraseña')}</label>
      <input id="cp-new" name="newPassword" type="password" minlength="10" required autocomplete="new-password">
      <button type="submit">${t('Cambiar contraseña')}</button>
    </form>`;
}

async function logout(): Promise<void> {
  await rpc.call('logout');
  go('login');
}

// ------------------------------------------------------------- the list

function listScreen(): TemplateResult {
  const title = isStaff() ? t('Cola de casos') :
      route() === 'validar' ? t('Validar') : t('Mis casos');
  const setQ = (patch: Partial<CaseQuery>) => {
    s.query = {...s.query, offset: 0, ...patch};
    pageAfter = [];
    void refresh();
  };
  const total = STATES.reduce((n, st) => n + (s.counts[st] ?? 0), 0);
  const products = s.catalog.filter((c) => c.kind === 'product');
  const page = pageAfter.length + 1;
  return html`<h1>${title}</h1>
    <div class="tabs" role="tablist" aria-label=${t('Estado')}>
      <button role="tab" aria-selected=${!s.query.state}
          @click=${() => setQ({state: ''})}>${t('Todos')} (${total})</button>
      ${STATES.map((st) => html`<button role="tab" data-state=${st}
          aria-selected=${s.query.state === st}
          @click=${() => setQ({state: st})}>${stateLabel(st)} (${s.counts[st] ?? 0})</button>`)}
    </div>
    <div class="filters">
      <label for="search">${t('Buscar')}</label>
      <input id="search" type="search" .value=${s.query.search ?? ''}
          @input=${debounce((e: Event) => setQ({search: (e.target as HTMLInputElement).value}), 150)}>
      <label for="order">${t('Ordenar')}</label>
      <select id="order" @change=${(e: Event) =>
          setQ({order: (e.target as HTMLSelectElement).value as CaseQuery['order']})}>
        <option value="updatedDesc" ?selected=${s.query.order === 'updatedDesc'}>${t('Más recientes')}</option>
        <option value="updatedAsc" ?selected=${s.query.order === 'updatedAsc'}>${t('Más antiguos')}</option>
        <option value="numberDesc" ?selected=${s.query.order === 'numberDesc'}>${t('Por número')}</option>
        <option value="createdDesc" ?selected=${s.query.order === 'createdDesc'}>${t('Por creación')}</option>
      </select>
      ${isStaff() ? html`<label for="product-filter">${t('Producto')}</label>
        <select id="product-filter" @change=${(e: Event) =>
            setQ({productId: (e.target as HTMLSelectElement).value})}>
          <option value="">${t('Todos')}</option>
          ${products.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
        </select>` : nothing}
    </div>
    ${s.rows.length === 0 ? html`<p>${t('No hay casos.')}</p>` : html`
    <div class="table-wrap"><table class="cases">
      <thead><tr>
        <th scope="col">${t('Número')}</th><th scope="col">${t('Breve descripción')}</th>
        <th scope="col">${t('Producto')}</th><th scope="col">${t('Contacto')}</th>
        <th scope="col">${t('Cuenta')}</th><th scope="col">${t('Prioridad')}</th>
        <th scope="col">${t('Estado')}</th><th scope="col">${t('Actualizados')}</th>
      </tr></thead>
      <tbody>${s.rows.map((c) => html`<tr data-id=${c.id}>
        <td data-label=${t('Número')}><a href="#/caso/${encodeURIComponent(c.id)}">${
            c.number || t('Pendiente')}</a>${c.pending && c.number ?
            html` <span class="pending-mark">${t('Pendiente')}</span>` : nothing}</td>
        <td data-label=${t('Breve descripción')}>${c.subject}</td>
        <td data-label=${t('Producto')}>${catalogName(c.productId)}</td>
        <td data-label=${t('Contacto')}>${c.contactName}</td>
        <td data-label=${t('Cuenta')}>${c.accountName}</td>
        <td data-label=${t('Prioridad')}>${priorityLabel(c.priority)}</td>
        <td data-label=${t('Estado')} class="state">${stateLabel(c.state)}</td>
        <td data-label=${t('Actualizados')}>${formatTime(c.updatedAt)}</td>
      </tr>`)}</tbody>
    </table></div>`}
    <div class="pager">
      <button type="button" ?disabled=${pageAfter.length === 0}
          @click=${() => { pageAfter.pop(); void refresh(); }}>
          ${t('Anterior')}</button>
      <span>${t('Página')} ${page}</span>
      <button type="button" ?disabled=${!s.hasMore}
          @click=${() => { pageAfter.push(pageKey(s.rows[s.rows.length - 1])); void refresh(); }}>
          ${t('Siguiente')}</button>
    </div>`;
}

function debounce<A extends unknown[]>(f: (...a: A) => void, ms: number) {
  let tm: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    clearTimeout(tm);
    tm = setTimeout(() => f(...a), ms);
  };
}

// ------------------------------------------------------------- Solicitar

const FIELDS = ['serviceId', 'productId', 'issueTypeId', 'contactHours',
                'contactPhone', 'subject', 'description'];
let formKey = '';  // draft key of the open form
let formLoadedFor = '';

async function loadForm(): Promise<void> {
  const params = new URLSearchParams(route().split('?')[1] ?? '');
  const draftKey = params.get('draft');
  const parent = params.get('parent');
  formKey = draftKey ?? (parent ? `followup-case:${parent}` : 'new-case');
  const drafts = await rpc.call('drafts');
  const d = drafts.find((x) => x.key === formKey);
  const form: Record<string, string> = {};
  if (d) {
    for (const [k, v] of Object.entries(d.value)) form[k] = String(v ?? '');
  } else if (parent) {
    const p = await rpc.call('getCase', parent);
    if (p) {
      Object.assign(form, {
        serviceId: p.serviceId, productId: p.productId,
        issueTypeId: p.issueTypeId, contactHours: p.contactHours,
        contactPhone: p.contactPhone,
        subject: `${t('Seguimiento de')} ${p.number || ''}`.trim(),
        description: '', parentId: p.id,
      });
    }
  }
  if (!form.contactPhone && s.status?.user?.phone) {
    form.contactPhone = s.status.user.phone;
  }
  s.form = form;
  s.formErrors = [];
  draw();
}

// "Borrador guardado" shows once the worker has stored the latest edit.
let edits = 0;
let draftSaved = false;
let draftTimer: ReturnType<typeof setTimeout> | undefined;

function saveDraft(): void {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => void storeDraft(), 250);
}

// Stores the form now (also before an update reloads the page).
async function storeDraft(): Promise<void> {
  clearTimeout(draftTimer);
  draftTimer = undefined;
  const at = edits;
  try {
    await rpc.call('saveDraft', formKey, 'case', {...s.form});
    draftSaved = at === edits;
  } catch (err) {
    s.error = errMsg(err);
  }
  draw();
}

function onField(e: Event): void {
  const el = e.target as HTMLInputElement;
  edits++;
  draftSaved = false;
  s.form[el.name] = el.value;
  if (el.name === 'serviceId') {
    s.form.productId = '';
    s.form.issueTypeId = '';
  }
  if (el.name === 'productId') s.form.issueTypeId = '';
  s.formErrors = s.formErrors.filter((x) => x.field !== el.name);
  saveDraft();
  draw();
}

async function submitCase(e: Event): Promise<void> {
  e.preventDefault();
  const args: Record<string, unknown> = {id: uuidv7()};
  for (const f of FIELDS) args[f] = s.form[f] ?? '';
  if (s.form.parentId) args.parentId = s.form.parentId;
  s.formErrors = await rpc.call('validateCaseForm', args);
  if (s.formErrors.length) {
    draw();
    document.getElementById(`f-${s.formErrors[0].field}`)?.focus();
    return;
  }
  try {
    clearTimeout(draftTimer);  // the draft is deleted below, not re-saved
    draftTimer = undefined;
    await rpc.call('mutate', 'createCase', args);
    await rpc.call('deleteDraft', formKey);
    const rej = new URLSearchParams(route().split('?')[1] ?? '').get('rejection');
    if (rej) await rpc.call('dismissRejection', Number(rej));
    s.form = {};
    formLoadedFor = '';
    const caseRoute = `caso/${encodeURIComponent(String(args.id))}`;
    notice(s.status?.online && navigator.onLine ?
               t('Caso registrado. Se está enviando a la mesa de ayuda.') :
               t('Caso registrado. Se enviará cuando haya conexión.'),
           caseRoute);
    go(caseRoute);
  } catch (err) {
    s.error = errMsg(err);
    saveDraft();  // the form keeps the text; so does its draft
    draw();
  }
}

function requestScreen(): TemplateResult {
  if (formLoadedFor !== route()) {
    formLoadedFor = route();
    void loadForm();
  }
  const f = s.form;
  const opts = (kind: string, parent: string) => s.catalog
      .filter((c) => c.kind === kind && c.active && (kind === 'service' || c.parentId === parent))
      .sort((a, b) => a.sort - b.sort);
  const err = (name: string) => s.formErrors.find((x) => x.field === name);
  const errText = (name: string) => {
    const x = err(name);
    return x ? (getLang() === 'es' ? x.messageEs : x.messageEn) : '';
  };
  const lim = s.labels?.limits ?? {};
  const select = (name: string, label: string, items: CatalogItem[]) => html`
    <label for="f-${name}">${t(label)}</label>
    <select id="f-${name}" name=${name} required aria-invalid=${!!err(name)}
        aria-describedby="e-${name}" @change=${onField}>
      <option value="" ?selected=${!f[name]}>${t('Seleccione…')}</option>
      ${items.map((i) => html`<option value=${i.id} ?selected=${f[name] === i.id}>${i.name}</option>`)}
    </select>
    <span class="field-error" id="e-${name}">${errText(name)}</span>`;
  const input = (name: string, label: string, type = 'text', max = 0) => html`
    <label for="f-${name}">${t(label)}</label>
    <input id="f-${name}" name=${name} type=${type} .value=${f[name] ?? ''}
        maxlength=${max || 1000} aria-invalid=${!!err(name)}
        aria-describedby="e-${name}" @input=${onField}>
    <span class="field-error" id="e-${name}">${errText(name)}</span>`;
  return html`<h1>${t('Solicitar')}</h1>
    <form class="card" id="request" novalidate @submit=${submitCase}>
      ${select('serviceId', 'Servicio', opts('service', ''))}
      ${select('productId', 'Producto', opts('product', f.serviceId ?? ''))}
      ${select('issueTypeId', 'Novedad a reportar', opts('issue_type', f.productId ?? ''))}
      ${input('contactHours', 'Horario de contacto', 'text', lim.contactHours)}
      ${input('contactPhone', 'Teléfono de contacto', 'tel', lim.contactPhone)}
      ${input('subject', 'Asunto', 'text', lim.subject)}
      <label for="f-description">${t('Descripción')}</label>
      <textarea id="f-description" name="description" rows="6"
          maxlength=${lim.description || 8000} aria-invalid=${!!err('description')}
          aria-describedby="e-description" .value=${f.description ?? ''}
          @input=${onField}></textarea>
      <span class="field-error" id="e-description">${errText('description')}</span>
      <p class="note" id="draft-state" aria-live="polite">${
          draftSaved ? t('Borrador guardado') : ''}</p>
      <button type="submit">${t('Enviar')}</button>
    </form>`;
}

// ------------------------------------------------------------- the case

async function act(name: string, args: Record<string, unknown>): Promise<void> {
  s.error = '';
  try {
    await rpc.call('mutate', name, args);
  } catch (err) {
    s.error = errMsg(err);
    draw();
  }
}

function detailScreen(): TemplateResult {
  const c = s.detail;
  if (!c) return html`<p>${t('Caso no encontrado.')}</p>`;
  const staff = isStaff();
  const terminal = c.state === 'closed' || c.state === 'canceled';
  const active = !terminal && c.state !== 'resolved';
  const form = (id: string, fields: TemplateResult, label: string,
                onSubmit: (v: Record<string, string>) => void) => html`
    <form class="card action" id=${id} @submit=${(e: Event) => {
      const v = fd(e);
      (e.target as HTMLFormElement).reset();
      onSubmit(v);
    }}>${fields}<button type="submit">${t(label)}</button></form>`;
  const text = (id: string, label: string, name = 'text') => html`
    <label for=${id}>${t(label)}</label>
    <textarea id=${id} name=${name} rows="3" required></textarea>`;
  return html`
    <p><a href=${staff ? '#/cola' : '#/casos'}>${t('Volver')}</a></p>
    <h1><span id="case-number">${c.number || t('Pendiente')}</span> — ${c.subject}</h1>
    <dl class="fields">
      <dt>${t('Estado')}</dt><dd id="case-state">${stateLabel(c.state)}${
          c.pending ? html` <span class="pending-mark">${t('Pendiente')}</span>` : nothing}</dd>
      <dt>${t('Prioridad')}</dt><dd>${priorityLabel(c.priority)}</dd>
      <dt>${t('Servicio')}</dt><dd>${catalogName(c.serviceId)}</dd>
      <dt>${t('Producto')}</dt><dd>${catalogName(c.productId)}</dd>
      <dt>${t('Novedad a reportar')}</dt><dd>${catalogName(c.issueTypeId)}</dd>
      <dt>${t('Contacto')}</dt><dd>${c.contactName}</dd>
      <dt>${t('Cuenta')}</dt><dd>${c.accountName}</dd>
      <dt>${t('Horario de contacto')}</dt><dd>${c.contactHours}</dd>
      <dt>${t('Teléfono de contacto')}</dt><dd>${c.contactPhone}</dd>
      <dt>${t('Creado')}</dt><dd>${formatTime(c.createdAt)}</dd>
      <dt>${t('Actualizados')}</dt><dd>${formatTime(c.updatedAt)}</dd>
      ${c.resolutionCode || c.resolutionNotes ? html`<dt>${t('Resolución')}</dt>
        <dd>${c.resolutionCode} ${c.resolutionNotes}</dd>` : nothing}
    </dl>
    <h2>${t('Descripción')}</h2>
    <p class="description">${c.description}</p>
    <h2>${t('Actividad')}</h2>
    <ol class="activity">${s.comments.map((m) => html`<li class=${m.visibility}>
      <p class="meta">${m.authorName} · ${formatTime(m.createdAt)}${
          m.visibility === 'internal' ? html` · <em>${t('interna')}</em>` : nothing}</p>
      <p>${m.body}</p></li>`)}</ol>
    ${!terminal ? form('comment-form', html`${text('comment', 'Comentario', 'body')}
        ${staff ? html`<label class="check"><input type="checkbox" name="internal">
          ${t('Nota interna')}</label>` : nothing}`, 'Agregar comentario',
        (v) => act('addComment', {id: uuidv7(), caseId: c.id, body: v.body,
                                  ...(v.internal ? {visibility: 'internal'} : {})})) : nothing}
    ${!staff && c.state === 'resolved' ? html`
      <button type="button" id="accept" @click=${() => act('acceptSolution', {caseId: c.id})}>
        ${t('Aceptar solución')}</button>
      ${form('reject-form', text('reject-comment', 'Comentario', 'comment'), 'Rechazar solución',
             (v) => act('rejectSolution', {caseId: c.id, comment: v.comment}))}` : nothing}
    ${!terminal && c.state !== 'resolved' ? form('cancel-form',
        text('cancel-reason', 'Motivo', 'reason'), 'Cancelar caso',
        (v) => act('cancelCase', {caseId: c.id, reason: v.reason})) : nothing}
    ${terminal && !staff ? html`<button type="button" id="followup"
        @click=${() => go(`solicitar?parent=${encodeURIComponent(c.id)}`)}>
        ${t('Crear caso de seguimiento')}</button>` : nothing}
    ${staff && active ? html`
      ${c.state === 'new' ? html`<button type="button" id="accept-case"
          @click=${() => act('acceptCase', {caseId: c.id})}>${t('Aceptar caso')}</button>` : nothing}
      ${c.state === 'open' ? form('info-form', text('info-comment', 'Comentario', 'comment'),
          'Solicitar información', (v) => act('requestInfo', {caseId: c.id, comment: v.comment})) : nothing}
      ${form('resolve-form', html`<label for="res-code">${t('Código de resolución')}</label>
          <input id="res-code" name="code" required>
          ${text('res-notes', 'Notas', 'notes')}`, 'Resolver',
          (v) => act('resolveCase', {caseId: c.id, resolutionCode: v.code, notes: v.notes}))}
      ${form('close-form', text('close-notes', 'Notas', 'notes'), 'Cerrar caso',
          (v) => act('closeCase', {caseId: c.id, notes: v.notes}))}
      ${form('priority-form', html`<label for="prio">${t('Prioridad')}</label>
          <select id="prio" name="priority">${[1, 2, 3, 4].map((p) => html`
            <option value=${p} ?selected=${c.priority === p}>${priorityLabel(p)}</option>`)}
          </select>`, 'Cambiar prioridad',
          (v) => act('setPriority', {caseId: c.id, priority: Number(v.priority)}))}
    ` : nothing}`;
}

// ------------------------------------------------------------- start

// The new version takes over and the page reloads: what is being typed in
// the form is stored first, so the reload loses nothing.
async function applyUpdate(): Promise<void> {
  if (draftTimer !== undefined) await storeDraft();
  s.update?.postMessage('skipWaiting');
}

export function startApp(client: WorkerClient): void {
  rpc = client;
  root().textContent = '';  // drops the static loading text
  rpc.on('status', (d) => {
    s.status = d as AppStatus;
    draw();
  });
  rpc.on('changed', () => void refresh());
  window.addEventListener('hashchange', () => {
    s.error = '';
    void refresh();
  });
  document.addEventListener('casesync-update', (e) => {
    s.update = (e as CustomEvent).detail as ServiceWorker;
    draw();
  });
  navigator.serviceWorker?.addEventListener('controllerchange', () => {
    if (s.update) location.reload();
  });
  window.addEventListener('online', () => void rpc.call('syncNow'));
  void (async () => {
    s.labels = await rpc.call('labels');
    await refresh();
  })();
}
