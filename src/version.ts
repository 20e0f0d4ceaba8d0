import packageJson from '../package.json';

export const SEMREG_VERSION: string = packageJson.version;
