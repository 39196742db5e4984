/** The security scheme names of the document's components.securitySchemes (document.ts). */
export const CLIENT_KEY = 'clientKey';
export const ADMIN_KEY = 'adminKey';
