import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import multer, { MulterError, StorageEngine } from 'multer';
import type { AppContext } from '../app-context';
import { extractCiJob } from '../ci/ci-job';
import { invalidParameter, MlflowError } from '../errors';
import { expectedDigests } from '../packages/checksums';
import { deleteModelVersionWithFiles, deletePackageFile } from '../packages/delete';
import { fileJson, listPackageFiles, requirePackageFile } from '../packages/package-files';
import {
  listPackageVersions,
  requireRegisteredModelId,
  resolvePackageVersion,
} from '../packages/package-versions';
import { parseCoordinates, parsePackagePath } from '../packages/target';
import { PackageUpload, UploadResult } from '../packages/upload';
import { byModel, declare, needingAdmin } from './access';
import { requireAccess } from './middleware/auth';
import { sendFile } from './send-file';
import { declaredLengthWithin } from './upload-body';

/**
 * The curl-facing package registry (semreg-api.md "Packages") and GitLab's generic-package paths. Bodies are
 * raw streams or multipart, never run through a body parser. Every route declares the model in its path
 * (`declare(..., byModel('model'))`, checked before a byte of the body is read); an overwrite needs admin.
 */

const MAX_MULTIPART_FILES = 1000;

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidParameter(`Invalid value for '${name}': expected true or false.`);
}

/** Express 5 hands a `*path` wildcard over as decoded segments; join them, then the one path guard decides. */
function filePath(req: Request): string {
  const segments = (req.params as Record<string, string | string[]>).path;
  return parsePackagePath(Array.isArray(segments) ? segments.join('/') : segments);
}

function param(req: Request, name: string): string {
  return (req.params as Record<string, string>)[name];
}

/** `?overwrite=true` replaces released bytes: admin only, checked before the body is read. */
function authorizeOverwrite(req: Request, app: AppContext, model: string, overwrite: boolean): void {
  if (overwrite) requireAccess(req, app, { scope: 'admin', models: [model] });
}

function servicesOf(app: AppContext) {
  return { db: app.db, store: app.storage, maxFileBytes: app.config.maxPackageFileBytes };
}

async function uploadRaw(req: Request, app: AppContext): Promise<UploadResult> {
  const model = param(req, 'model');
  const overwrite = flag(req.query.overwrite, 'overwrite');
  authorizeOverwrite(req, app, model, overwrite);
  const target = parseCoordinates(model, param(req, 'semver'));
  const rawPath = filePath(req);
  const expected = expectedDigests(req.headers);
  const declaredBytes = declaredLengthWithin(req.headers, app.config.maxPackageFileBytes);
  const options = { overwrite, ciJob: extractCiJob(req.headers), tokenId: req.principal?.tokenId };
  const upload = await PackageUpload.begin(servicesOf(app), target, options);
  try {
    await upload.addFile({
      rawPath,
      body: req,
      contentType: req.headers['content-type'],
      expected,
      declaredBytes,
    });
    return await upload.commit();
  } catch (err) {
    await upload.abort();
    throw err;
  }
}

/** A multer storage engine that hands each part to the upload (temp file, hash, rename) as it streams in. */
function uploadEngine(upload: PackageUpload): StorageEngine {
  return {
    _handleFile(_req, file, callback) {
      upload
        .addFile({ rawPath: file.originalname, body: file.stream, contentType: file.mimetype, expected: {} })
        .then(() => callback(null, {}))
        .catch((err: unknown) => callback(err as Error));
    },
    // Cleanup is the upload's job (abort), which also covers files whose commit failed.
    _removeFile(_req, _file, callback) {
      callback(null);
    },
  };
}

function fromMulter(err: unknown, maxBytes: number): unknown {
  if (!(err instanceof MulterError)) {
    if (err instanceof MlflowError || !(err instanceof Error)) return err;
    // busboy's parse errors ("Unexpected end of form", "Malformed part header", a client disconnect).
    return /form|part|boundary|multipart|Request (aborted|closed)/i.test(err.message)
      ? new MlflowError('BAD_REQUEST', `The multipart body could not be read: ${err.message}.`)
      : err;
  }
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `A file is larger than the limit of ${maxBytes} bytes.`,
        413,
      );
    case 'LIMIT_UNEXPECTED_FILE':
      return invalidParameter(
        `Unexpected multipart field '${err.field ?? ''}': send each file as a part named 'file'.`,
      );
    default:
      return invalidParameter(`The multipart body breaks a limit (${err.code}).`);
  }
}

async function uploadMultipart(req: Request, res: Response, app: AppContext): Promise<UploadResult> {
  const model = param(req, 'model');
  const overwrite = flag(req.query.overwrite, 'overwrite');
  authorizeOverwrite(req, app, model, overwrite);
  const target = parseCoordinates(model, param(req, 'semver'));
  if (!req.is('multipart/form-data')) {
    throw invalidParameter(
      "This endpoint takes 'Content-Type: multipart/form-data' with one part named 'file' per file (curl -F file=@model.onnx).",
    );
  }
  const options = { overwrite, ciJob: extractCiJob(req.headers), tokenId: req.principal?.tokenId };
  const upload = await PackageUpload.begin(servicesOf(app), target, options);
  const parse = multer({
    storage: uploadEngine(upload),
    // The part's filename is the path in the package (`model/MLmodel`): keep its folders.
    preservePath: true,
    limits: {
      fileSize: app.config.maxPackageFileBytes,
      files: MAX_MULTIPART_FILES,
      fields: 20,
      fieldSize: 64 * 1024,
      headerPairs: 100,
    },
  }).array('file', MAX_MULTIPART_FILES);
  try {
    await new Promise<void>((resolve, reject) =>
      parse(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
    );
    return await upload.commit();
  } catch (err) {
    await upload.abort();
    throw fromMulter(err, app.config.maxPackageFileBytes);
  }
}

/** GET/HEAD of one file, with the sha256 recorded at upload as ETag and X-Checksum-Sha256. */
async function download(req: Request, res: Response, app: AppContext, model: string, selector: string) {
  const rawPath = filePath(req);
  const version = await resolvePackageVersion(app.db, model, selector);
  const file = await requirePackageFile(app.db, version.id, rawPath, `${version.name} ${version.semver}`);
  await sendFile(req, res, app, {
    key: file.storage_key,
    size: file.size,
    lastModified: new Date(file.created_at),
    sha256: file.sha256,
    name: file.path.split('/').pop(),
    // Package files are untrusted: never rendered by a browser (stored XSS), whatever their name.
    type: 'binary',
  });
}

export function packageRoutes(app: AppContext, jsonBody: RequestHandler): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const model = declare(app, byModel('model'));
  const deletion = declare(app, needingAdmin(byModel('model')));

  router.put('/api/packages/:model/:semver/*path', model, async (req, res) => {
    const result = await uploadRaw(req, app);
    res
      .status(result.changed ? 201 : 200)
      .json({ file: result.files[0], model_version: result.modelVersion });
  });
  router.post('/api/packages/:model/:semver', model, async (req, res) => {
    const result = await uploadMultipart(req, res, app);
    res.status(result.changed ? 201 : 200).json({ files: result.files, model_version: result.modelVersion });
  });
  router.get('/api/packages/:model', model, async (req, res) => {
    const found = await requireRegisteredModelId(app.db, param(req, 'model'));
    const versions = await listPackageVersions(app.db, found.id);
    res.json({
      model: found.name,
      versions: versions.map((row) => ({
        version: String(row.version),
        semver: row.semver,
        created_at: row.creation_timestamp,
        ...(row.ci_job_id !== null && { ci_job_id: row.ci_job_id }),
        file_count: row.file_count,
      })),
    });
  });
  router.get('/api/packages/:model/:selector', model, async (req, res) => {
    const version = await resolvePackageVersion(app.db, param(req, 'model'), param(req, 'selector'));
    const files = await listPackageFiles(app.db, version.id);
    res.json({
      model: version.name,
      version: String(version.version),
      semver: version.semver,
      files: files.map(fileJson),
    });
  });
  router.get('/api/packages/:model/:selector/*path', model, (req, res) =>
    download(req, res, app, param(req, 'model'), param(req, 'selector')),
  );
  // Deletes take no body; one that is sent must be JSON, like every JSON endpoint (CSRF defence, §7).
  router.delete('/api/packages/:model/:semver/*path', deletion, jsonBody, async (req, res) => {
    const target = parseCoordinates(param(req, 'model'), param(req, 'semver'));
    const version = await resolvePackageVersion(app.db, target.name, param(req, 'semver'));
    await deletePackageFile(servicesOf(app), version, filePath(req), req.principal?.tokenId);
    res.json({});
  });
  router.delete('/api/packages/:model/:semver', deletion, jsonBody, async (req, res) => {
    const target = parseCoordinates(param(req, 'model'), param(req, 'semver'));
    if (!flag(req.query.all, 'all')) {
      throw invalidParameter(
        'Deleting a whole package version needs ?all=true; to delete one file, add its path.',
      );
    }
    const version = await resolvePackageVersion(app.db, target.name, param(req, 'semver'));
    await deleteModelVersionWithFiles(servicesOf(app), version.name, version.version, {
      actor: req.principal?.tokenId,
      mayDeletePackages: true,
    });
    res.json({});
  });

  // GitLab's generic packages API: `curl --header "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file f "$URL/api/v4/
  // projects/$CI_PROJECT_ID/packages/generic/<name>/<version>/<file>"` works unchanged. The project id is ignored.
  router.put('/api/v4/projects/:project/packages/generic/:model/:semver/*path', model, async (req, res) => {
    await uploadRaw(req, app);
    res.status(201).json({ message: '201 Created' });
  });
  router.get('/api/v4/projects/:project/packages/generic/:model/:semver/*path', model, (req, res) =>
    download(req, res, app, param(req, 'model'), param(req, 'semver')),
  );
  return router;
}
