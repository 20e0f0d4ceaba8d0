import { Link } from '../router';

export function NotFoundPage({ path }: { path: string }) {
  return (
    <main>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">Back to the models</Link>.
      </p>
    </main>
  );
}
