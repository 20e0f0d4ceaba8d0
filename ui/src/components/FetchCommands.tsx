import { readToken } from '../api/token-store';
import { CopyField } from './CopyField';

/** The ways to fetch this version, ready to paste: MLflow URI, semreg CLI, curl of the package files. */
export function FetchCommands({
  name,
  version,
  semver,
  files,
}: {
  name: string;
  version: string;
  semver?: string;
  files: string[];
}) {
  const origin = location.origin;
  const selector = semver ?? version;
  const auth = readToken() ? ' -H "Authorization: Bearer $SEMREG_TOKEN"' : '';
  const first = files[0];
  return (
    <section aria-label="Fetch this version">
      <h2>Fetch it</h2>
      <CopyField label="MLflow URI" value={`models:/${name}/${selector}`} />
      <CopyField label="Python" value={`mlflow.pyfunc.load_model("models:/${name}/${selector}")`} />
      <CopyField label="semreg CLI" value={`semreg get ${name}/${selector} -o ${name}/`} />
      {semver && first && (
        <CopyField
          label="curl"
          value={`curl -fO${auth} ${origin}/api/packages/${encodeURIComponent(name)}/${semver}/${first.split('/').map(encodeURIComponent).join('/')}`}
        />
      )}
    </section>
  );
}
