//! Services and the router that dispatches calls to them by procedure path.

use std::rc::Rc;

use connect_wire::service::{MethodDescriptor, ServiceDescriptor};

use super::call::Call;
use super::interceptor::Interceptor;

/// A Connect service, implemented by the generated `<Name>Server<S>` adapters: it knows its
/// methods and handles a call of one of them.
///
/// No `Send` bound anywhere: each thread has its own service value and calls stay on their
/// thread, so handlers may hold `Rc`s and borrows across awaits.
#[allow(async_fn_in_trait)] // thread-per-core: the futures are deliberately not `Send`
pub trait Service: 'static {
    /// The service's model (name, methods).
    fn descriptor(&self) -> &'static ServiceDescriptor;

    /// Handles one call of `descriptor().methods[method]`, answering it through `call`.
    async fn call(&self, method: usize, call: Call<'_>);
}

/// A list of services, built by [`Router::add`]: `(S, (T, ()))`, dispatched statically.
#[allow(async_fn_in_trait)]
pub trait Services: 'static {
    /// Appends every service's descriptor.
    fn descriptors(&self, out: &mut Vec<&'static ServiceDescriptor>);

    /// Calls method `method` of service number `service`.
    async fn call(&self, service: usize, method: usize, call: Call<'_>);
}

impl Services for () {
    fn descriptors(&self, _out: &mut Vec<&'static ServiceDescriptor>) {}

    async fn call(&self, _service: usize, _method: usize, call: Call<'_>) {
        call.unimplemented().await;
    }
}

impl<S: Service, R: Services> Services for (S, R) {
    fn descriptors(&self, out: &mut Vec<&'static ServiceDescriptor>) {
        out.push(self.0.descriptor());
        self.1.descriptors(out);
    }

    async fn call(&self, service: usize, method: usize, call: Call<'_>) {
        if service == 0 {
            self.0.call(method, call).await;
        } else {
            self.1.call(service - 1, method, call).await;
        }
    }
}

/// Where a procedure path leads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Route {
    pub(crate) service: usize,
    pub(crate) method: usize,
    pub(crate) descriptor: &'static MethodDescriptor,
}

/// Services by procedure path, with the interceptors that run around their calls. Build one
/// per thread (see [`Server::serve`](super::Server::serve)).
pub struct Router<L: Services = ()> {
    services: L,
    routes: Vec<(&'static str, Route)>,
    /// Interceptors of every call, in order.
    interceptors: Vec<Rc<dyn Interceptor>>,
    /// Interceptors of one service's calls (after the router's), by service number.
    per_service: Vec<Vec<Rc<dyn Interceptor>>>,
}

/// The interceptors of one call: the router's, then the service's.
#[derive(Clone, Copy)]
pub(crate) struct Chain<'r> {
    router: &'r [Rc<dyn Interceptor>],
    service: &'r [Rc<dyn Interceptor>],
}

impl<'r> Chain<'r> {
    pub(crate) fn len(&self) -> usize {
        self.router.len() + self.service.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Interceptor `i` in request order.
    pub(crate) fn get(&self, i: usize) -> &'r dyn Interceptor {
        match self.router.get(i) {
            Some(x) => &**x,
            None => &*self.service[i - self.router.len()],
        }
    }
}

impl Default for Router<()> {
    fn default() -> Self {
        Self::new()
    }
}

impl Router<()> {
    /// A router with no services.
    #[must_use]
    pub fn new() -> Self {
        Router {
            services: (),
            routes: Vec::new(),
            interceptors: Vec::new(),
            per_service: Vec::new(),
        }
    }
}

impl<L: Services> Router<L> {
    /// Adds a service (e.g. `ElizaServiceServer::new(MyEliza)`).
    #[allow(clippy::should_implement_trait)] // a builder step, not arithmetic
    pub fn add<S: Service>(self, service: S) -> Router<(S, L)> {
        self.add_with_interceptors(service, Vec::new())
    }

    /// Adds a service whose calls also run `interceptors` (in order, after the router's).
    pub fn add_with_interceptors<S: Service>(
        self,
        service: S,
        interceptors: Vec<Rc<dyn Interceptor>>,
    ) -> Router<(S, L)> {
        let mut per_service = self.per_service;
        // Service numbers count from the service added last.
        per_service.insert(0, interceptors);
        let services = (service, self.services);
        let mut descriptors = Vec::new();
        services.descriptors(&mut descriptors);
        let mut routes = Vec::new();
        for (s, d) in descriptors.iter().enumerate() {
            for (m, method) in d.methods.iter().enumerate() {
                routes.push((
                    method.path,
                    Route {
                        service: s,
                        method: m,
                        descriptor: method,
                    },
                ));
            }
        }
        routes.sort_by_key(|r| r.0);
        // A duplicated path goes to the service added last (it comes first in `services`).
        routes.dedup_by_key(|r| r.0);
        Router {
            services,
            routes,
            interceptors: self.interceptors,
            per_service,
        }
    }

    /// Adds an interceptor that runs around every call of this router (of services added
    /// before and after), after the ones added before it.
    #[must_use]
    pub fn with_interceptor(mut self, interceptor: impl Interceptor) -> Self {
        self.interceptors.push(Rc::new(interceptor));
        self
    }

    /// The interceptors of a call to `route`.
    pub(crate) fn chain(&self, route: Route) -> Chain<'_> {
        Chain {
            router: &self.interceptors,
            service: self
                .per_service
                .get(route.service)
                .map_or(&[][..], Vec::as_slice),
        }
    }

    pub(crate) fn route(&self, path: &str) -> Option<Route> {
        self.routes
            .binary_search_by_key(&path, |r| r.0)
            .ok()
            .map(|i| self.routes[i].1)
    }

    pub(crate) async fn call(&self, route: Route, call: Call<'_>) {
        self.services.call(route.service, route.method, call).await;
    }

    /// The procedure paths served.
    pub fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.iter().map(|r| r.0)
    }
}
