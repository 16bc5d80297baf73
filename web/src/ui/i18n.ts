// Spanish (Colombia) first; English second. Keys are the Spanish texts, so
// the Spanish UI reads exactly as written in the screens (the old portal's
// labels) and a missing translation falls back to Spanish.
export type Lang = 'es' | 'en';

const en: Record<string, string> = {
  'Iniciar sesión': 'Sign in',
  'Nombre de usuario': 'User name',
  'Contraseña': 'Password',
  'Recordarme': 'Remember me',
  'Restablecer contraseña': 'Reset password',
  'Registrar': 'Register',
  'Cerrar sesión': 'Sign out',
  'Solicitar': 'Request',
  'Mis casos': 'My cases',
  'Validar': 'Validate',
  'Cola de casos': 'Case queue',
  'Servicio': 'Service',
  'Producto': 'Product',
  'Novedad a reportar': 'Issue to report',
  'Horario de contacto': 'Contact hours',
  'Teléfono de contacto': 'Contact phone',
  'Asunto': 'Subject',
  'Descripción': 'Description',
  'Enviar': 'Send',
  'Seleccione…': 'Select…',
  'Número': 'Number',
  'Breve descripción': 'Short description',
  'Contacto': 'Contact',
  'Cuenta': 'Account',
  'Prioridad': 'Priority',
  'Estado': 'State',
  'Actualizados': 'Updated',
  'Todos': 'All',
  'Buscar': 'Search',
  'Ordenar': 'Sort',
  'Más recientes': 'Most recent',
  'Más antiguos': 'Oldest',
  'Por número': 'By number',
  'Por creación': 'By creation',
  'Anterior': 'Previous',
  'Siguiente': 'Next',
  'Pendiente': 'Pending',
  'en línea': 'online',
  'sin conexión': 'offline',
  'cambios pendientes': 'pending changes',
  'Última sincronización': 'Last sync',
  'nunca': 'never',
  'Sesión expirada: tus cambios quedan en cola.':
      'Session expired: your changes stay queued.',
  'Abierto en otra pestaña: esta pestaña trabaja a través de ella.':
      'Open in another tab: this tab works through it.',
  'Datos guardados en': 'Data stored in',
  'este navegador (IndexedDB)': 'this browser (IndexedDB)',
  'este navegador (OPFS)': 'this browser (OPFS)',
  'Sin almacenamiento persistente: los datos se pierden al cerrar.':
      'No persistent storage: data is lost when closing.',
  'Sincronizando por primera vez…': 'First sync…',
  'filas': 'rows',
  'Actividad': 'Activity',
  'Comentario': 'Comment',
  'Agregar comentario': 'Add comment',
  'Nota interna': 'Internal note',
  'Aceptar solución': 'Accept solution',
  'Rechazar solución': 'Reject solution',
  'Cancelar caso': 'Cancel case',
  'Motivo': 'Reason',
  'Crear caso de seguimiento': 'Create follow-up case',
  'Aceptar caso': 'Accept case',
  'Solicitar información': 'Request information',
  'Resolver': 'Resolve',
  'Código de resolución': 'Resolution code',
  'Notas': 'Notes',
  'Cerrar caso': 'Close case',
  'Cambiar prioridad': 'Change priority',
  'Volver': 'Back',
  'Caso no encontrado.': 'Case not found.',
  'Correo electrónico': 'E-mail',
  'Nombre completo': 'Full name',
  'Teléfono': 'Phone',
  'Crear cuenta': 'Create account',
  'Cuenta creada. Ya puede iniciar sesión.':
      'Account created. You can sign in now.',
  'Registro recibido: la mesa de ayuda revisará su cuenta antes de que pueda iniciar sesión.':
      'Registration received: the help desk will review your account before you can sign in.',
  'Si el correo está registrado, enviamos un código para restablecer la contraseña.':
      'If the e-mail is registered, we sent a code to reset the password.',
  'Contraseña cambiada. Ya puede iniciar sesión.':
      'Password changed. You can sign in now.',
  'Código recibido por correo': 'Code received by e-mail',
  'Nueva contraseña': 'New password',
  'Contraseña actual': 'Current password',
  'Cambiar contraseña': 'Change password',
  'Debe cambiar su contraseña temporal.': 'You must change your temporary password.',
  'Cambios rechazados': 'Rejected changes',
  'Su texto se conservó:': 'Your text was kept:',
  'Abrir como caso de seguimiento': 'Open as follow-up case',
  'Descartar': 'Dismiss',
  'Caso registrado. Se enviará cuando haya conexión.':
      'Case saved. It will be sent when online.',
  'Caso registrado. Se está enviando a la mesa de ayuda.':
      'Case saved. It is being sent to the help desk.',
  'Borrador guardado': 'Draft saved',
  'No hay casos.': 'No cases.',
  'Sin conexión: inicie sesión cuando vuelva la conexión.':
      'Offline: sign in when the connection is back.',
  'Seguimiento de': 'Follow-up of',
  'Resolución': 'Resolution',
  'Creado': 'Created',
  'Canal': 'Channel',
  'interna': 'internal',
  'Lo que puede hacer:': 'What you can do:',
  'Página': 'Page',
  'de': 'of',
};

let lang: Lang = (localStorage.getItem('casesync-lang') as Lang) || 'es';

export function getLang(): Lang {
  return lang;
}

export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem('casesync-lang', l);
  document.documentElement.lang = l === 'es' ? 'es-CO' : 'en';
}

export function t(es: string): string {
  return lang === 'es' ? es : en[es] ?? es;
}

export function formatTime(iso: string): string {
  if (!iso) return t('nunca');
  const d = new Date(iso);
  return d.toLocaleString(lang === 'es' ? 'es-CO' : 'en-US', {
    dateStyle: 'short',
    timeStyle: 'short',
  });
}

// What to do after a rejection, by error code.
export function nextStep(code: string, mutation: string): string {
  const es: Record<string, string> = {
    case_terminal:
        'El caso ya está cerrado o cancelado. Puede abrir un caso de seguimiento con el mismo texto.',
    invalid_transition:
        'El estado del caso cambió mientras estaba sin conexión. Revise el caso y vuelva a intentarlo.',
    validation_failed: 'Corrija los datos del formulario y envíelo de nuevo.',
    forbidden: 'No tiene permiso para esta acción.',
    not_found: 'El caso ya no está disponible.',
  };
  const enT: Record<string, string> = {
    case_terminal:
        'The case is already closed or canceled. You can open a follow-up case with the same text.',
    invalid_transition:
        'The case changed while you were offline. Check it and try again.',
    validation_failed: 'Fix the form and send it again.',
    forbidden: 'You are not allowed to do this.',
    not_found: 'The case is no longer available.',
  };
  void mutation;
  return (lang === 'es' ? es : enT)[code] ??
      (lang === 'es' ? 'Revise el caso.' : 'Check the case.');
}
