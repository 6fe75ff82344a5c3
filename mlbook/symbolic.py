"""Symbolic derivations with sympy, used by the notebooks to show formulas and to cross-check
mlbook's numeric derivatives exactly.

Importing this module imports sympy (a few hundred ms); numeric modules never import it.
"""
import sympy as sp

from .validation import as_float_array, check_choice

__all__ = []


def _latex(expr):
    r"""``sp.latex(expr)``, the same text on every sympy release mlbook supports.

    sympy < 1.13 chose the separator between two factors by the *string* form of the second
    one, so ``out_{o1} (1 - out_{o1})`` printed as ``out_{o1} \cdot \left(1 - ...`` (the "1"
    after "o1}" looked like two numbers side by side); newer sympy looks at the factor's LaTeX
    and prints a plain space before a parenthesis. With the default settings sympy >= 1.13 never
    prints ``\cdot`` right before ``\left(``, so removing it gives the newer text on older sympy.
    """
    return sp.latex(expr).replace(r" \cdot \left(", r" \left(")


# ============================================================================================
# The 2-2-2 worked example (notebook 02)
# ============================================================================================
#
# The network of mlbook.worked_example, written as one sympy expression. The sigmoid is a sympy
# Function whose derivative sympy knows as sigma (1 - sigma), so sympy's own chain rule gives
# dE_total/dw as products of the quantities the course names (out_h1, out_o1, ...).

__all__ += [
    "sigma", "worked_example_symbols", "worked_example_error", "worked_example_gradient",
    "worked_example_gradient_compact", "worked_example_gradient_value", "worked_example_latex",
]


class sigma(sp.Function):
    """The logistic sigmoid as a sympy function: sigma(x) = 1 / (1 + e^-x), sigma' = sigma (1 - sigma)."""

    nargs = 1

    def fdiff(self, argindex=1):
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return (1 / (1 + sp.exp(-self.args[0]))).evalf(prec)

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        tex = rf"\sigma\left({arg}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"


_WE_PARAMS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")


def worked_example_symbols():
    """Sympy symbols of the worked example: w1..w8, b1, b2, inputs i1, i2, targets t1, t2,
    and the named quantities net_h1 .. out_o2 used by the compact forms. Returns a dict."""
    names = {n: n for n in _WE_PARAMS}
    names.update(i1="i_1", i2="i_2", t1="target_{o1}", t2="target_{o2}")
    for unit in ("h1", "h2", "o1", "o2"):
        names[f"net_{unit}"] = f"net_{{{unit}}}"
        names[f"out_{unit}"] = f"out_{{{unit}}}"
    syms = {key: sp.Symbol(tex if key not in _WE_PARAMS else f"{key[0]}_{key[1]}", real=True)
            for key, tex in names.items()}
    return syms


def _we_forward(s):
    """The forward pass as sympy expressions of the parameters (nested sigma calls)."""
    net_h1 = s["w1"] * s["i1"] + s["w2"] * s["i2"] + s["b1"]
    net_h2 = s["w3"] * s["i1"] + s["w4"] * s["i2"] + s["b1"]
    out_h1, out_h2 = sigma(net_h1), sigma(net_h2)
    net_o1 = s["w5"] * out_h1 + s["w6"] * out_h2 + s["b2"]
    net_o2 = s["w7"] * out_h1 + s["w8"] * out_h2 + s["b2"]
    out_o1, out_o2 = sigma(net_o1), sigma(net_o2)
    return {"out_h1": out_h1, "out_h2": out_h2, "out_o1": out_o1, "out_o2": out_o2}


def worked_example_error():
    """E_total = 1/2 (t1 - out_o1)^2 + 1/2 (t2 - out_o2)^2 as one expression of the parameters."""
    s = worked_example_symbols()
    f = _we_forward(s)
    return (sp.Rational(1, 2) * (s["t1"] - f["out_o1"]) ** 2
            + sp.Rational(1, 2) * (s["t2"] - f["out_o2"]) ** 2)


def worked_example_gradient(name):
    """dE_total/d<name> by sympy's chain rule, in terms of the parameters (nested sigmas)."""
    check_choice(name, "name", _WE_PARAMS)
    return sp.diff(worked_example_error(), worked_example_symbols()[name])


def worked_example_gradient_compact(name):
    """dE_total/d<name> with each sigma(...) replaced by its course name (out_h1, ..., out_o2).

    e.g. for w5: out_h1 out_o1 (1 - out_o1) (out_o1 - target_o1).
    The replacement goes inside out (hidden units first), so it is a pure renaming.
    """
    s = worked_example_symbols()
    f = _we_forward(s)
    expr = worked_example_gradient(name)
    for unit in ("out_o1", "out_o2"):          # outer sigmas first: they contain the inner ones
        expr = expr.subs(f[unit], s[unit])
    for unit in ("out_h1", "out_h2"):
        expr = expr.subs(f[unit], s[unit])
    return expr


def worked_example_gradient_value(name, params=None, inputs=None, targets=None):
    """The sympy derivative evaluated at ``params`` (default INITIAL_PARAMS), as a Python float.

    Numbers are substituted as exact rationals of their decimal text and evaluated with 30
    significant digits, so this is an independent check of ``worked_example.gradients()``.
    """
    from mlbook import worked_example as we
    check_choice(name, "name", _WE_PARAMS)
    p = we.as_params(params)
    i1, i2 = we.as_pair(we.INPUTS if inputs is None else inputs, "inputs")
    t1, t2 = we.as_pair(we.TARGETS if targets is None else targets, "targets")
    s = worked_example_symbols()
    values = dict(p, i1=i1, i2=i2, t1=t1, t2=t2)
    subs = {s[k]: sp.Rational(repr(v)) for k, v in values.items()}
    return float(worked_example_gradient(name).subs(subs).evalf(30))


def worked_example_latex(name, compact=True, *, max_line=90):
    r"""LaTeX of ``\frac{\partial E_{total}}{\partial w_5} = ...`` (compact or fully expanded).

    A sum whose one-line form is longer than ``max_line`` LaTeX characters is set one term per
    line (``aligned``), so the formula fits the page instead of running off its right edge.
    """
    expr = worked_example_gradient_compact(name) if compact else worked_example_gradient(name)
    lhs = rf"\frac{{\partial E_{{total}}}}{{\partial {sp.latex(worked_example_symbols()[name])}}}"
    one_line = _latex(expr)
    terms = expr.as_ordered_terms() if isinstance(expr, sp.Add) else [expr]
    if len(one_line) <= max_line or len(terms) < 2:
        return f"{lhs} = {one_line}"
    lines = []
    for k, term in enumerate(terms):
        negative = term.could_extract_minus_sign()
        body = _latex(-term if negative else term)
        sign = ("-" if negative else "") if k == 0 else ("- " if negative else "+ ")
        lines.append(("&= " if k == 0 else r"&\quad ") + sign + body)
    return rf"\begin{{aligned}}{lhs} " + r" \\ ".join(lines) + r"\end{aligned}"


# ============================================================================================
# Activation functions (notebook 05)
# ============================================================================================
# For every scalar activation in mlbook.activations: its definition as a sympy expression,
# the derivative sympy finds from that definition, the textbook form of that derivative
# (written with the function itself: sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2, ...),
# a proof by simplification that the two are equal, and high-precision values for tests.
#
# Kinks: ReLU, leaky ReLU and ELU are Piecewise with the positive branch for x > 0, so the
# derivative at x = 0 is the x <= 0 branch — the same convention as mlbook.activations.

__all__ += ["X", "ALPHA", "SIGMA", "activation_expr", "activation_derivative",
            "activation_derivation_latex", "activation_values", "SYMBOLIC_ACTIVATIONS"]

X = sp.Symbol("x", real=True)
ALPHA = sp.Symbol("alpha", positive=True)
SIGMA = sp.Function("sigma")           # sigma(x), shown as σ(x) in the textbook forms
_TANH_F = sp.Function("tanh")          # plain tanh symbol for display (not sympy's tanh)
_ELU_F = sp.Function("ELU")
_SWISH_F = sp.Function("swish")


def _sigmoid_def(arg):
    return 1 / (1 + sp.exp(-arg))


def _definitions():
    x, a = X, ALPHA
    sig = _sigmoid_def(x)
    return {
        "sigmoid": sig,
        "tanh": (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)),
        "relu": sp.Piecewise((x, x > 0), (0, True)),
        "leaky_relu": sp.Piecewise((x, x > 0), (a * x, True)),
        "elu": sp.Piecewise((x, x > 0), (a * (sp.exp(x) - 1), True)),
        "softplus": sp.log(1 + sp.exp(x)),
        "swish": x * sig,
    }


def _textbook():
    x, a, s = X, ALPHA, SIGMA(X)
    return {
        "sigmoid": s * (1 - s),
        "tanh": 1 - _TANH_F(x) ** 2,
        "relu": sp.Piecewise((1, x > 0), (0, True)),
        "leaky_relu": sp.Piecewise((1, x > 0), (a, True)),
        "elu": sp.Piecewise((1, x > 0), (_ELU_F(x) + a, True)),
        "softplus": s,
        "swish": _SWISH_F(x) + s * (1 - _SWISH_F(x)),
    }


SYMBOLIC_ACTIVATIONS = tuple(_definitions())
"""Names of the activations derived here (the keys of mlbook.activations.ACTIVATIONS)."""


def activation_expr(name):
    """The definition of activation ``name`` as a sympy expression in ``X`` (and ``ALPHA``)."""
    check_choice(name, "name", SYMBOLIC_ACTIVATIONS)
    return _definitions()[name]


def _expand_textbook(expr):
    """Replace sigma(.), tanh(.), ELU(.), swish(.) in a textbook form by their definitions."""
    defs = _definitions()
    return (expr.replace(SIGMA, _sigmoid_def)
                .replace(_TANH_F, lambda arg: defs["tanh"].subs(X, arg))
                .replace(_ELU_F, lambda arg: defs["elu"].subs(X, arg))
                .replace(_SWISH_F, lambda arg: defs["swish"].subs(X, arg)))


def _is_zero(expr):
    expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):          # branch by branch (conditions are x > 0 / else)
        return all(_is_zero(e) for e, _ in expr.args)
    return sp.simplify(expr.rewrite(sp.exp)) == 0


def activation_derivative(name):
    """Derive d f / dx for activation ``name`` with sympy and match it to the textbook form.

    Returns a dict:
      'f'          the definition (sympy expression in X, ALPHA)
      'raw'        ``sp.diff(f, X)`` as the chain and quotient rules leave it
      'derivative' the same, factored into one fraction
      'textbook'   the textbook form, written with the function itself (SIGMA(X), tanh(x), ...)
      'equal'      True when sympy proves derivative - textbook == 0 (it always is here)
    """
    f = activation_expr(name)
    raw = sp.diff(f, X)
    d = raw if isinstance(raw, sp.Piecewise) else sp.factor(raw)
    t = _textbook()[name]
    return {"f": f, "raw": raw, "derivative": d, "textbook": t,
            "equal": bool(_is_zero(raw - _expand_textbook(t)))}


_DISPLAY_NAME = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}",
                 "leaky_relu": r"\operatorname{LeakyReLU}", "elu": r"\operatorname{ELU}",
                 "softplus": r"\operatorname{softplus}", "swish": r"\operatorname{swish}"}


def activation_derivation_latex(name):
    """LaTeX of ``f(x) = definition``, ``f'(x) = sympy's derivative = textbook form``."""
    info = activation_derivative(name)
    fn = _DISPLAY_NAME[name]
    rel = "=" if info["equal"] else r"\neq"
    return (rf"{fn}(x) = {_latex(info['f'])}, \qquad "
            rf"{fn}'(x) = {_latex(info['derivative'])} {rel} {_latex(info['textbook'])}")


def activation_values(name, xs, *, derivative=True, alpha=None, dps=40):
    """Evaluate activation ``name`` (or its derivative) at the points ``xs`` with mpmath at
    ``dps + 0.9 |x|`` decimal digits (enough for 1 - tanh(x)^2 ~ e^-2|x| to survive the
    cancellation), rounded once to float64: the exact reference for numeric tests.

    ``alpha`` defaults to the activation's default (0.01 for leaky ReLU, 1 for ELU).
    Returns a float array with the shape of ``xs``.
    """
    import mpmath
    import numpy as np

    check_choice(name, "name", SYMBOLIC_ACTIVATIONS)
    expr = activation_expr(name)
    if derivative:
        expr = sp.diff(expr, X)
    if alpha is None:
        alpha = {"leaky_relu": 0.01, "elu": 1.0}.get(name, 1.0)
    fn = sp.lambdify((X, ALPHA), expr, modules="mpmath")
    xs = as_float_array(xs, "activation_values: xs", allow_empty=True, dtype=np.float64)
    out = np.empty(xs.shape)
    for i, v in np.ndenumerate(xs):
        if not np.isfinite(v):
            raise ValueError(f"activation_values: xs must be finite, got {v}")
        with mpmath.workdps(dps + int(0.9 * abs(v))):
            out[i] = float(fn(mpmath.mpf(float(v)), mpmath.mpf(alpha)))
    return out
