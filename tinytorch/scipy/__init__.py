"""SciPy with exact derivatives: SciPy's names and signatures, differentiable results.

`tinytorch.scipy.optimize`: minimize, least_squares, root.
`tinytorch.scipy.integrate`: solve_ivp, odeint.
`tinytorch.scipy.linalg`: expm, sqrtm, solve_triangular, solve_banded, solve_sylvester.
`tinytorch.scipy.signal`: convolve, correlate.
`tinytorch.scipy.special`: the gamma, beta, error and Bessel functions, logsumexp, ...
`tinytorch.scipy.stats`: norm, t, chi2, beta, gamma, poisson, dirichlet, multivariate_normal.
"""
