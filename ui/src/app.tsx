import { useEffect, useRef } from 'preact/hooks';
import { Nav } from './components/Nav';
import { matchRoute, type Route } from './lib/routes';
import { useLocation, type LocationState } from './router';
import { ModelsPage } from './pages/ModelsPage';
import { ModelPage } from './pages/ModelPage';
import { VersionPage } from './pages/VersionPage';
import { HistoryPage } from './pages/HistoryPage';
import { ExperimentsPage } from './pages/ExperimentsPage';
import { RunsPage } from './pages/RunsPage';
import { RunPage } from './pages/RunPage';
import { CiJobPage } from './pages/CiJobPage';
import { TokensPage } from './pages/TokensPage';
import { NotFoundPage } from './pages/NotFoundPage';

function titleOf(route: Route): string {
  switch (route.page) {
    case 'model':
      return route.name;
    case 'version':
      return `${route.name} v${route.version}`;
    case 'history':
      return `${route.name} history`;
    case 'run':
      return `run ${route.runId}`;
    case 'ciJob':
      return `CI job ${route.jobId}`;
    default:
      return route.page;
  }
}

function Page({ route, location }: { route: Route; location: LocationState }) {
  switch (route.page) {
    case 'models':
      return <ModelsPage location={location} />;
    case 'model':
      return <ModelPage name={route.name} />;
    case 'version':
      return <VersionPage name={route.name} version={route.version} />;
    case 'history':
      return <HistoryPage name={route.name} location={location} />;
    case 'experiments':
      return <ExperimentsPage location={location} />;
    case 'experiment':
      return <RunsPage experimentId={route.experimentId} location={location} />;
    case 'run':
      return <RunPage runId={route.runId} />;
    case 'ciJob':
      return <CiJobPage jobId={route.jobId} />;
    case 'tokens':
      return <TokensPage />;
    default:
      return <NotFoundPage path={location.pathname} />;
  }
}

export function App() {
  const location = useLocation();
  const route = matchRoute(location.pathname);
  const firstPage = useRef(true);
  useEffect(() => {
    document.title = `${titleOf(route)} · semreg`;
    // After an in-page navigation, keyboard and screen-reader users start at the new content, not at the
    // link they left behind (which no longer exists).
    if (!firstPage.current) document.getElementById('content')?.focus({ preventScroll: true });
    firstPage.current = false;
  }, [location.pathname]);
  useEffect(() => {
    // "/" jumps to the page's search box, as on GitHub and GitLab.
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      const search = document.querySelector<HTMLInputElement>('input[type="search"]');
      if (!search) return;
      event.preventDefault();
      search.focus();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <Nav pathname={location.pathname} />
      <div id="content" tabIndex={-1}>
        <Page route={route} location={location} />
      </div>
    </>
  );
}
