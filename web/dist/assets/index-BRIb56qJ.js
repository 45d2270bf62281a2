var In=Object.defineProperty;var Fn=(n,e,t)=>e in n?In(n,e,{enumerable:!0,configurable:!0,writable:!0,value:t}):n[e]=t;var te=(n,e,t)=>Fn(n,typeof e!="symbol"?e+"":e,t);import{l as $n,a as en,c as bn}from"./session-store-hzdpVdYT.js";var _e,y,nn,W,Re,tn,sn,ge,re,Y,rn,Ae,Ie,Fe,le={},de=[],Mn=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,me=Array.isArray;function B(n,e){for(var t in e)n[t]=e[t];return n}function Ue(n){n&&n.parentNode&&n.parentNode.removeChild(n)}function Cn(n,e,t){var s,o,r,c={};for(r in e)r=="key"?s=e[r]:r=="ref"?o=e[r]:c[r]=e[r];if(arguments.length>2&&(c.children=arguments.length>3?_e.call(arguments,2):t),typeof n=="function"&&n.defaultProps!=null)for(r in n.defaultProps)c[r]===void 0&&(c[r]=n.defaultProps[r]);return oe(n,c,s,o,null)}function oe(n,e,t,s,o){var r={type:n,props:e,key:t,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:o??++nn,__i:-1,__u:0};return o==null&&y.vnode!=null&&y.vnode(r),r}function ne(n){return n.children}function ie(n,e){this.props=n,this.context=e}function z(n,e){if(e==null)return n.__?z(n.__,n.__i+1):null;for(var t;e<n.__k.length;e++)if((t=n.__k[e])!=null&&t.__e!=null)return t.__e;return typeof n.type=="function"?z(n):null}function An(n){if(n.__P&&n.__d){var e=n.__v,t=e.__e,s=[],o=[],r=B({},e);r.__v=e.__v+1,y.vnode&&y.vnode(r),we(n.__P,r,e,n.__n,n.__P.namespaceURI,32&e.__u?[t]:null,s,t??z(e),!!(32&e.__u),o),r.__v=e.__v,r.__.__k[r.__i]=r,cn(s,r,o),e.__e=e.__=null,r.__e!=t&&on(r)}}function on(n){if((n=n.__)!=null&&n.__c!=null)return n.__e=n.__c.base=null,n.__k.some(function(e){if(e!=null&&e.__e!=null)return n.__e=n.__c.base=e.__e}),on(n)}function Ee(n){(!n.__d&&(n.__d=!0)&&W.push(n)&&!ce.__r++||Re!=y.debounceRendering)&&((Re=y.debounceRendering)||tn)(ce)}function ce(){try{for(var n,e=1;W.length;)W.length>e&&W.sort(sn),n=W.shift(),e=W.length,An(n)}finally{W.length=ce.__r=0}}function an(n,e,t,s,o,r,c,d,u,a,_){var f,i,p,F,P,M,$=s&&s.__k||de,g=e.length;for(u=Un(t,e,$,u,g),f=0;f<g;f++)(p=t.__k[f])!=null&&(i=p.__i!=-1&&$[p.__i]||le,p.__i=f,M=we(n,p,i,o,r,c,d,u,a,_),F=p.__e,p.ref&&i.ref!=p.ref&&(i.ref&&ke(i.ref,null,p),_.push(p.ref,p.__c||F,p)),P==null&&F!=null&&(P=F),4&p.__u?(u=ln(p,u,n),i.__e&&(i.__e=null)):typeof p.type=="function"&&M!==void 0?u=M:F&&(u=F.nextSibling),p.__u&=-7);return t.__e=P,u}function Un(n,e,t,s,o){var r,c,d,u,a,_=t.length,f=_,i=0;for(n.__k=new Array(o),r=0;r<o;r++)(c=e[r])!=null&&typeof c!="boolean"&&typeof c!="function"?(typeof c=="string"||typeof c=="number"||typeof c=="bigint"||c.constructor==String?c=n.__k[r]=oe(null,c,null,null,null):me(c)?c=n.__k[r]=oe(ne,{children:c},null,null,null):c.constructor===void 0&&c.__b>0?c=n.__k[r]=oe(c.type,c.props,c.key,c.ref?c.ref:null,c.__v):n.__k[r]=c,u=r+i,c.__=n,c.__b=n.__b+1,d=null,(a=c.__i=wn(c,t,u,f))!=-1&&(f--,(d=t[a])&&(d.__u|=2)),d==null||d.__v==null?(a==-1&&(o>_?i--:o<_&&i++),typeof c.type!="function"&&(c.__u|=4)):a!=u&&(a==u-1?i--:a==u+1?i++:(a>u?i--:i++,c.__u|=4))):n.__k[r]=null;if(f)for(r=0;r<_;r++)(d=t[r])!=null&&(2&d.__u)==0&&(d.__e==s&&(s=z(d)),_n(d,d));return s}function ln(n,e,t){var s,o;if(typeof n.type=="function"){for(s=n.__k,o=0;s&&o<s.length;o++)s[o]&&(s[o].__=n,e=ln(s[o],e,t));return e}n.__e!=e&&(e&&n.type&&!e.parentNode&&(e=z(n)),e=t.insertBefore(n.__e,e||null));do e=e&&e.nextSibling;while(e!=null&&e.nodeType==8);return e}function wn(n,e,t,s){var o,r,c,d=n.key,u=n.type,a=e[t],_=a!=null&&(2&a.__u)==0;if(a===null&&d==null||_&&d==a.key&&u==a.type)return t;if(s>(_?1:0)){for(o=t-1,r=t+1;o>=0||r<e.length;)if((a=e[c=o>=0?o--:r++])!=null&&(2&a.__u)==0&&d==a.key&&u==a.type)return c}return-1}function Le(n,e,t){e[0]=="-"?n.setProperty(e,t??""):n[e]=t==null?"":typeof t!="number"||Mn.test(e)?t:t+"px"}function se(n,e,t,s,o){var r,c;e:if(e=="style")if(typeof t=="string")n.style.cssText=t;else{if(typeof s=="string"&&(n.style.cssText=s=""),s)for(e in s)t&&e in t||Le(n.style,e,"");if(t)for(e in t)s&&t[e]==s[e]||Le(n.style,e,t[e])}else if(e[0]=="o"&&e[1]=="n")r=e!=(e=e.replace(rn,"$1")),c=e.toLowerCase(),e=c in n||e=="onFocusOut"||e=="onFocusIn"?c.slice(2):e.slice(2),n.l||(n.l={}),n.l[e+r]=t,t?s?t[Y]=s[Y]:(t[Y]=Ae,n.addEventListener(e,r?Fe:Ie,r)):n.removeEventListener(e,r?Fe:Ie,r);else{if(o=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in n)try{n[e]=t??"";break e}catch{}typeof t=="function"||(t==null||t===!1&&e[4]!="-"?n.removeAttribute(e):n.setAttribute(e,e=="popover"&&t==1?"":t))}}function He(n){return function(e){if(this.l){var t=this.l[e.type+n];if(e[re]==null)e[re]=Ae++;else if(e[re]<t[Y])return;return t(y.event?y.event(e):e)}}}function we(n,e,t,s,o,r,c,d,u,a){var _,f,i,p,F,P,M,$,g,w,L,R,q,j,K,H,D=e.type;if(e.constructor!==void 0)return null;128&t.__u&&(u=!!(32&t.__u),r=[d=e.__e=t.__e]),(_=y.__b)&&_(e);e:if(typeof D=="function"){f=c.length;try{if(g=e.props,w=D.prototype&&D.prototype.render,L=(_=D.contextType)&&s[_.__c],R=_?L?L.props.value:_.__:s,t.__c?$=(i=e.__c=t.__c).__=i.__E:(w?e.__c=i=new D(g,R):(e.__c=i=new ie(g,R),i.constructor=D,i.render=Sn),L&&L.sub(i),i.state||(i.state={}),i.__n=s,p=i.__d=!0,i.__h=[],i._sb=[]),w&&i.__s==null&&(i.__s=i.state),w&&D.getDerivedStateFromProps!=null&&(i.__s==i.state&&(i.__s=B({},i.__s)),B(i.__s,D.getDerivedStateFromProps(g,i.__s))),F=i.props,P=i.state,i.__v=e,p)w&&D.getDerivedStateFromProps==null&&i.componentWillMount!=null&&i.componentWillMount(),w&&i.componentDidMount!=null&&i.__h.push(i.componentDidMount);else{if(w&&D.getDerivedStateFromProps==null&&g!==F&&i.componentWillReceiveProps!=null&&i.componentWillReceiveProps(g,R),e.__v==t.__v||!i.__e&&i.shouldComponentUpdate!=null&&i.shouldComponentUpdate(g,i.__s,R)===!1){e.__v!=t.__v&&(i.props=g,i.state=i.__s,i.__d=!1),e.__e=t.__e,e.__k=t.__k,e.__k.some(function(x){x&&(x.__=e)}),de.push.apply(i.__h,i._sb),i._sb=[],i.__h.length&&c.push(i),d=z(t);break e}i.componentWillUpdate!=null&&i.componentWillUpdate(g,i.__s,R),w&&i.componentDidUpdate!=null&&i.__h.push(function(){i.componentDidUpdate(F,P,M)})}if(i.context=R,i.props=g,i.__P=n,i.__e=!1,q=y.__r,j=0,w)i.state=i.__s,i.__d=!1,q&&q(e),_=i.render(i.props,i.state,i.context),de.push.apply(i.__h,i._sb),i._sb=[];else do i.__d=!1,q&&q(e),_=i.render(i.props,i.state,i.context),i.state=i.__s;while(i.__d&&++j<25);i.state=i.__s,i.getChildContext!=null&&(s=B(B({},s),i.getChildContext())),w&&!p&&i.getSnapshotBeforeUpdate!=null&&(M=i.getSnapshotBeforeUpdate(F,P)),K=_!=null&&_.type===ne&&_.key==null?un(_.props.children):_,d=an(n,me(K)?K:[K],e,t,s,o,r,c,d,u,a),i.base=e.__e,e.__u&=-161,i.__h.length&&c.push(i),$&&(i.__E=i.__=null)}catch(x){if(c.length=f,e.__v=null,u||r!=null){if(x.then){for(e.__u|=u?160:128;d&&d.nodeType==8&&d.nextSibling;)d=d.nextSibling;r!=null&&(r[r.indexOf(d)]=null),e.__e=d}else if(r!=null)for(H=r.length;H--;)Ue(r[H])}else e.__e=t.__e;e.__k==null&&(e.__k=t.__k||[]),x.then||dn(e),y.__e(x,e,t)}}else r==null&&e.__v==t.__v?(e.__k=t.__k,e.__e=t.__e):d=e.__e=kn(t.__e,e,t,s,o,r,c,u,a);return(_=y.diffed)&&_(e),128&e.__u?void 0:d}function dn(n){n&&(n.__c&&(n.__c.__e=!0),n.__k&&n.__k.some(dn))}function cn(n,e,t){for(var s=0;s<t.length;s++)ke(t[s],t[++s],t[++s]);y.__c&&y.__c(e,n),n.some(function(o){try{n=o.__h,o.__h=[],n.some(function(r){r.call(o)})}catch(r){y.__e(r,o.__v)}})}function un(n){return typeof n!="object"||n==null||n.__b>0?n:me(n)?n.map(un):n.constructor!==void 0?null:B({},n)}function kn(n,e,t,s,o,r,c,d,u){var a,_,f,i,p,F,P,M=t.props||le,$=e.props,g=e.type;if(g=="svg"?o="http://www.w3.org/2000/svg":g=="math"?o="http://www.w3.org/1998/Math/MathML":o||(o="http://www.w3.org/1999/xhtml"),r!=null){for(a=0;a<r.length;a++)if((p=r[a])&&"setAttribute"in p==!!g&&(g?p.localName==g:p.nodeType==3)){n=p,r[a]=null;break}}if(n==null){if(g==null)return document.createTextNode($);n=document.createElementNS(o,g,$.is&&$),d&&(y.__m&&y.__m(e,r),d=!1),r=null}if(g==null)M===$||d&&n.data==$||(n.data=$);else{if(r=g=="textarea"&&$.defaultValue!=null?null:r&&_e.call(n.childNodes),!d&&r!=null)for(M={},a=0;a<n.attributes.length;a++)M[(p=n.attributes[a]).name]=p.value;for(a in M)p=M[a],a=="dangerouslySetInnerHTML"?f=p:a=="children"||a in $||a=="value"&&"defaultValue"in $||a=="checked"&&"defaultChecked"in $||se(n,a,null,p,o);for(a in $)p=$[a],a=="children"?i=p:a=="dangerouslySetInnerHTML"?_=p:a=="value"?F=p:a=="checked"?P=p:d&&typeof p!="function"||M[a]===p||se(n,a,p,M[a],o);if(_)d||f&&(_.__html==f.__html||_.__html==n.innerHTML)||(n.innerHTML=_.__html),e.__k=[];else if(f&&(n.innerHTML=""),an(e.type=="template"?n.content:n,me(i)?i:[i],e,t,s,g=="foreignObject"?"http://www.w3.org/1999/xhtml":o,r,c,r?r[0]:t.__k&&z(t,0),d,u),r!=null)for(a=r.length;a--;)Ue(r[a]);d&&g!="textarea"||(a="value",g=="progress"&&F==null?n.removeAttribute("value"):F!=null&&(F!==n[a]||g=="progress"&&!F||g=="option"&&F!=M[a])&&se(n,a,F,M[a],o),a="checked",P!=null&&P!=n[a]&&se(n,a,P,M[a],o))}return n}function ke(n,e,t){try{if(typeof n=="function"){var s=typeof n.__u=="function";s&&n.__u(),s&&e==null||(n.__u=n(e))}else n.current=e}catch(o){y.__e(o,t)}}function _n(n,e,t){var s,o;if(y.unmount&&y.unmount(n),(s=n.ref)&&(s.current&&s.current!=n.__e||ke(s,null,e)),(s=n.__c)!=null){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(r){y.__e(r,e)}s.base=s.__P=s.__n=null}if(s=n.__k)for(o=0;o<s.length;o++)s[o]&&_n(s[o],e,t||typeof n.type!="function");t||Ue(n.__e),n.__c=n.__=n.__e=void 0}function Sn(n,e,t){return this.constructor(n,t)}function Dn(n,e,t){var s,o,r,c;e==document&&(e=document.documentElement),y.__&&y.__(n,e),o=(s=!1)?null:e.__k,r=[],c=[],we(e,n=e.__k=Cn(ne,null,[n]),o||le,le,e.namespaceURI,o?null:e.firstChild?_e.call(e.childNodes):null,r,o?o.__e:e.firstChild,s,c),cn(r,n,c),n.props.children=null}_e=de.slice,y={__e:function(n,e,t,s){for(var o,r,c;e=e.__;)if((o=e.__c)&&!o.__)try{if((r=o.constructor)&&r.getDerivedStateFromError!=null&&(o.setState(r.getDerivedStateFromError(n)),c=o.__d),o.componentDidCatch!=null&&(o.componentDidCatch(n,s||{}),c=o.__d),c)return o.__E=o}catch(d){n=d}throw n}},nn=0,ie.prototype.setState=function(n,e){var t;t=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=B({},this.state),typeof n=="function"&&(n=n(B({},t),this.props)),n&&B(t,n),n!=null&&this.__v&&(e&&this._sb.push(e),Ee(this))},ie.prototype.forceUpdate=function(n){this.__v&&(this.__e=!0,n&&this.__h.push(n),Ee(this))},ie.prototype.render=ne,W=[],tn=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,sn=function(n,e){return n.__v.__b-e.__v.__b},ce.__r=0,ge=Math.random().toString(8),re="__d"+ge,Y="__a"+ge,rn=/(PointerCapture)$|Capture$/i,Ae=0,Ie=He(!1),Fe=He(!0);var Tn=0;function l(n,e,t,s,o,r){e||(e={});var c,d,u=e;if("ref"in u)for(d in u={},e)d=="ref"?c=e[d]:u[d]=e[d];var a={type:n,props:u,key:t,ref:c,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:--Tn,__i:-1,__u:0,__source:o,__self:r};if(typeof n=="function"&&(c=n.defaultProps))for(d in c)u[d]===void 0&&(u[d]=c[d]);return y.vnode&&y.vnode(a),a}var X,b,ve,qe,ue=0,mn=[],C=y,Be=C.__b,Oe=C.__r,je=C.diffed,We=C.__c,Ve=C.unmount,Je=C.__;function pe(n,e){C.__h&&C.__h(b,n,ue||e),ue=0;var t=b.__H||(b.__H={__:[],__h:[]});return n>=t.__.length&&t.__.push({}),t.__[n]}function I(n){return ue=1,Nn(pn,n)}function Nn(n,e,t){var s=pe(X++,2);if(s.t=n,!s.__c&&(s.__=[pn(void 0,e),function(d){var u=s.__N?s.__N[0]:s.__[0],a=s.t(u,d);u!==a&&(s.__N=[a,s.__[1]],s.__c.setState({}))}],s.__c=b,!b.__f)){var o=function(d,u,a){if(!s.__c.__H)return!0;var _=!1,f=s.__c.props!==d;if(s.__c.__H.__.some(function(p){if(p.__N){_=!0;var F=p.__[0];p.__=p.__N,p.__N=void 0,F!==p.__[0]&&(f=!0)}}),r){var i=r.call(this,d,u,a);return _?i||f:i}return!_||f};b.__f=!0;var r=b.shouldComponentUpdate,c=b.componentWillUpdate;b.componentWillUpdate=function(d,u,a){if(this.__e){var _=r;r=void 0,o(d,u,a),r=_}c&&c.call(this,d,u,a)},b.shouldComponentUpdate=o}return s.__N||s.__}function ee(n,e){var t=pe(X++,3);!C.__s&&Se(t.__H,e)&&(t.__=n,t.u=e,b.__H.__h.push(t))}function Pn(n,e){var t=pe(X++,4);!C.__s&&Se(t.__H,e)&&(t.__=n,t.u=e,b.__h.push(t))}function Q(n){return ue=5,xn(function(){return{current:n}},[])}function xn(n,e){var t=pe(X++,7);return Se(t.__H,e)&&(t.__=n(),t.__H=e,t.__h=n),t.__}function Rn(){for(var n;n=mn.shift();){var e=n.__H;if(n.__P&&e)try{e.__h.some(ae),e.__h.some($e),e.__h=[]}catch(t){e.__h=[],C.__e(t,n.__v)}}}C.__b=function(n){b=null,Be&&Be(n)},C.__=function(n,e){n&&e.__k&&e.__k.__m&&(n.__m=e.__k.__m),Je&&Je(n,e)},C.__r=function(n){Oe&&Oe(n),X=0;var e=(b=n.__c).__H;e&&(ve===b?(e.__h=[],b.__h=[],e.__.some(function(t){t.__N&&(t.__=t.__N),t.u=t.__N=void 0})):(e.__h.some(ae),e.__h.some($e),e.__h=[],X=0)),ve=b},C.diffed=function(n){je&&je(n);var e=n.__c;e&&e.__H&&(e.__H.__h.length&&(mn.push(e)!==1&&qe===C.requestAnimationFrame||((qe=C.requestAnimationFrame)||En)(Rn)),e.__H.__.some(function(t){t.u&&(t.__H=t.u,t.u=void 0)})),ve=b=null},C.__c=function(n,e){e.some(function(t){try{t.__h.some(ae),t.__h=t.__h.filter(function(s){return!s.__||$e(s)})}catch(s){e.some(function(o){o.__h&&(o.__h=[])}),e=[],C.__e(s,t.__v)}}),We&&We(n,e)},C.unmount=function(n){Ve&&Ve(n);var e,t=n.__c;t&&t.__H&&(t.__H.__.some(function(s){try{ae(s)}catch(o){e=o}}),t.__H=void 0,e&&C.__e(e,t.__v))};var ze=typeof requestAnimationFrame=="function";function En(n){var e,t=function(){clearTimeout(s),ze&&cancelAnimationFrame(e),setTimeout(n)},s=setTimeout(t,35);ze&&(e=requestAnimationFrame(t))}function ae(n){var e=b,t=n.__c;typeof t=="function"&&(n.__c=void 0,t()),b=e}function $e(n){var e=b;n.__c=n.__(),b=e}function Se(n,e){return!n||n.length!==e.length||e.some(function(t,s){return t!==n[s]})}function pn(n,e){return typeof e=="function"?e(n):e}class A extends String{constructor(t,s){super(t);te(this,"__apiType");te(this,"value");te(this,"__meta__");this.value=t,this.__meta__=s}toString(){return this.value}}const Ln=new A(`
    fragment UserFields on User {
  id
  username
  fullName
}
    `,{fragmentName:"UserFields"}),Hn=new A(`
    fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`,{fragmentName:"MessageFields"}),qn=new A(`
    fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`,{fragmentName:"ConversationFields"}),Bn=new A(`
    fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`,{fragmentName:"AuthFields"}),On=new A(`
    mutation Signup($input: SignupInput!) {
  signup(input: $input) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`),jn=new A(`
    mutation Login($input: LoginInput!) {
  login(input: $input) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`),Wn=new A(`
    mutation Refresh($refresh: String!) {
  refreshToken(refresh: $refresh) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`),Vn=new A(`
    query Me {
  me {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`),Jn=new A(`
    query Conversations {
  conversations(limit: 100) {
    count
    results {
      ...ConversationFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
}`),zn=new A(`
    subscription Inbox {
  inbox {
    __typename
    ... on ConversationChanged {
      conversation {
        ...ConversationFields
      }
    }
    ... on AddedToConversation {
      conversation {
        ...ConversationFields
      }
    }
    ... on RemovedFromConversation {
      conversationId
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
}`),Kn=new A(`
    query SearchUsers($search: String!) {
  users(search: $search, limit: 10) {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`),Gn=new A(`
    mutation CreateConversation($input: CreateConversationInput!) {
  createConversation(input: $input) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
}`),Qn=new A(`
    mutation AddParticipant($conversationId: ID!, $userId: ID!) {
  addParticipant(conversationId: $conversationId, userId: $userId) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
}`),Xn=new A(`
    query History($conversationId: ID!, $before: StreamId) {
  messages(conversationId: $conversationId, before: $before, limit: 30) {
    hasMore
    messages {
      ...MessageFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),Yn=new A(`
    subscription Events($conversationId: ID!, $since: StreamId) {
  conversationEvents(conversationId: $conversationId, since: $since) {
    __typename
    ... on MessageAdded {
      id
      message {
        ...MessageFields
      }
    }
    ... on MessageEdited {
      id
      message {
        ...MessageFields
      }
    }
    ... on MessageDeleted {
      id
      message {
        ...MessageFields
      }
    }
    ... on ReadMarkerMoved {
      id
      upTo
      user {
        ...UserFields
      }
    }
    ... on ParticipantJoined {
      id
      user {
        ...UserFields
      }
    }
    ... on ParticipantLeft {
      id
      user {
        ...UserFields
      }
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),Zn=new A(`
    mutation Send($conversationId: ID!, $content: String!) {
  sendMessage(conversationId: $conversationId, content: $content) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),et=new A(`
    mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {
  editMessage(
    conversationId: $conversationId
    messageId: $messageId
    content: $content
  ) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),nt=new A(`
    mutation Delete($conversationId: ID!, $messageId: StreamId!) {
  deleteMessage(conversationId: $conversationId, messageId: $messageId) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),tt=new A(`
    mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {
  markRead(conversationId: $conversationId, upTo: $upTo) {
    id
    unreadCount
    lastReadId
  }
}
    `),st=new A(`
    query ConversationById($id: ID!) {
  conversation(id: $id) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
}`),rt={"\n  fragment UserFields on User { id username fullName }\n":Ln,"\n  fragment MessageFields on Message {\n    id conversationId content createdAt editedAt deleted\n    sender { ...UserFields }\n  }\n":Hn,"\n  fragment ConversationFields on Conversation {\n    id name updatedAt unreadCount lastReadId\n    lastMessage { ...MessageFields }\n    participants { id role user { ...UserFields } }\n  }\n":qn,"\n  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }\n":Bn,"\n  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }\n":On,"\n  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }\n":jn,"\n  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }\n":Wn,"\n  query Me { me { ...UserFields } }\n":Vn,"\n  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }\n":Jn,"\n  subscription Inbox {\n    inbox {\n      __typename\n      ... on ConversationChanged { conversation { ...ConversationFields } }\n      ... on AddedToConversation { conversation { ...ConversationFields } }\n      ... on RemovedFromConversation { conversationId }\n    }\n  }\n":zn,"\n  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }\n":Kn,"\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) { ...ConversationFields }\n  }\n":Gn,"\n  mutation AddParticipant($conversationId: ID!, $userId: ID!) {\n    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }\n  }\n":Qn,"\n  query History($conversationId: ID!, $before: StreamId) {\n    messages(conversationId: $conversationId, before: $before, limit: 30) {\n      hasMore messages { ...MessageFields }\n    }\n  }\n":Xn,"\n  subscription Events($conversationId: ID!, $since: StreamId) {\n    conversationEvents(conversationId: $conversationId, since: $since) {\n      __typename\n      ... on MessageAdded { id message { ...MessageFields } }\n      ... on MessageEdited { id message { ...MessageFields } }\n      ... on MessageDeleted { id message { ...MessageFields } }\n      ... on ReadMarkerMoved { id upTo user { ...UserFields } }\n      ... on ParticipantJoined { id user { ...UserFields } }\n      ... on ParticipantLeft { id user { ...UserFields } }\n    }\n  }\n":Yn,"\n  mutation Send($conversationId: ID!, $content: String!) {\n    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }\n  }\n":Zn,"\n  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {\n    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }\n  }\n":et,"\n  mutation Delete($conversationId: ID!, $messageId: StreamId!) {\n    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }\n  }\n":nt,"\n  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {\n    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }\n  }\n":tt,"\n  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }\n":st};function U(n){return rt[n]??{}}U(`
  fragment UserFields on User { id username fullName }
`);U(`
  fragment MessageFields on Message {
    id conversationId content createdAt editedAt deleted
    sender { ...UserFields }
  }
`);U(`
  fragment ConversationFields on Conversation {
    id name updatedAt unreadCount lastReadId
    lastMessage { ...MessageFields }
    participants { id role user { ...UserFields } }
  }
`);U(`
  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }
`);const ot=U(`
  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }
`),it=U(`
  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }
`),at=U(`
  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }
`),lt=U(`
  query Me { me { ...UserFields } }
`),dt=U(`
  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }
`),ct=U(`
  subscription Inbox {
    inbox {
      __typename
      ... on ConversationChanged { conversation { ...ConversationFields } }
      ... on AddedToConversation { conversation { ...ConversationFields } }
      ... on RemovedFromConversation { conversationId }
    }
  }
`),ut=U(`
  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }
`),_t=U(`
  mutation CreateConversation($input: CreateConversationInput!) {
    createConversation(input: $input) { ...ConversationFields }
  }
`),mt=U(`
  mutation AddParticipant($conversationId: ID!, $userId: ID!) {
    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }
  }
`),Ke=U(`
  query History($conversationId: ID!, $before: StreamId) {
    messages(conversationId: $conversationId, before: $before, limit: 30) {
      hasMore messages { ...MessageFields }
    }
  }
`),pt=U(`
  subscription Events($conversationId: ID!, $since: StreamId) {
    conversationEvents(conversationId: $conversationId, since: $since) {
      __typename
      ... on MessageAdded { id message { ...MessageFields } }
      ... on MessageEdited { id message { ...MessageFields } }
      ... on MessageDeleted { id message { ...MessageFields } }
      ... on ReadMarkerMoved { id upTo user { ...UserFields } }
      ... on ParticipantJoined { id user { ...UserFields } }
      ... on ParticipantLeft { id user { ...UserFields } }
    }
  }
`),ft=U(`
  mutation Send($conversationId: ID!, $content: String!) {
    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }
  }
`),ht=U(`
  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {
    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }
  }
`),gt=U(`
  mutation Delete($conversationId: ID!, $messageId: StreamId!) {
    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }
  }
`),vt=U(`
  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {
    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }
  }
`),Ge=U(`
  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }
`);class N extends Error{constructor(e,t,s){super(e),this.code=t,this.retryAfter=s}}const O={online:!0,listeners:new Set,set(n){if(this.online!==n){this.online=n;for(const e of this.listeners)e()}}};let S=$n(),ye=null,be,fn=()=>{},V=null;function Qe(){return S!==null}function yt(n){fn=n}function hn(n){try{const e=n.split(".")[1]??"",t=JSON.parse(atob(e.replace(/-/g,"+").replace(/_/g,"/")));return typeof t.exp=="number"?t.exp-Date.now()/1e3:0}catch{return 0}}function gn(n){S=n,en(n),De()}function Me(){S=null,en(null),clearTimeout(be),V==null||V.dispose(),V=null,fn()}function De(){if(clearTimeout(be),!S)return;const n=Math.max(1,hn(S.access)-30)*1e3;be=setTimeout(()=>void Te(),Math.min(n,2**31-1))}function Te(){const n=S;return n?(ye??(ye=Ce(at,{refresh:n.refresh},null).then(e=>(gn(e.refreshToken.tokens),S)).catch(e=>(e instanceof N&&e.code!=="UNAVAILABLE"?Me():De(),null)).finally(()=>{ye=null})),ye):Promise.resolve(null)}async function Ce(n,e,t){var c,d,u;const s=await fetch("/graphql",{method:"POST",headers:{"Content-Type":"application/json",Accept:"application/graphql-response+json, application/json",...t?{Authorization:`Bearer ${t}`}:{}},body:JSON.stringify({query:n.toString(),variables:e})}),o=await s.json().catch(()=>null),r=(c=o==null?void 0:o.errors)==null?void 0:c[0];if(r){const a=(d=r.extensions)==null?void 0:d.retryAfter;throw new N(r.message,((u=r.extensions)==null?void 0:u.code)??"ERROR",a??null)}if(!s.ok||!(o!=null&&o.data))throw new N(`The server answered ${s.status}`,"UNAVAILABLE",null);return o.data}async function T(n,e){try{return await Ce(n,e,(S==null?void 0:S.access)??null)}catch(t){if(t instanceof N&&t.code==="UNAUTHENTICATED"&&S){const s=await Te();if(s)return Ce(n,e,s.access)}throw t}}function It(){if(V)return V;const n=`${location.protocol==="https:"?"wss":"ws"}://${location.host}/graphql/ws`;let e=!1;return V=bn({url:n,connectionParams:async()=>(S&&hn(S.access)<5&&await Te(),S?{Authorization:`Bearer ${S.access}`}:{}),retryAttempts:1/0,shouldRetry:()=>!0,retryWait:async t=>{await new Promise(s=>setTimeout(s,Math.min(1e3*2**t,1e4)))},on:{connected:()=>{e=!0,O.set(!0)},closed:()=>{e&&O.set(!1)}}}),V}function vn(n,e,t,s){return It().subscribe({query:n.toString(),variables:e},{next:o=>{var c,d;const r=(c=o.errors)==null?void 0:c[0];r?s(new N(r.message,((d=r.extensions)==null?void 0:d.code)??"ERROR",null)):o.data&&t(o.data)},error:()=>s(new N("The live connection failed","UNAVAILABLE",null)),complete:()=>{}})}function Ft(n){let e=!1;const t=()=>{O.online?e&&(e=!1,n()):e=!0};return O.listeners.add(t),()=>O.listeners.delete(t)}S&&De();function $t({onSignedIn:n}){const[e,t]=I("login"),[s,o]=I(null),[r,c]=I(!1);async function d(u){u.preventDefault();const a=new FormData(u.currentTarget),_=f=>String(a.get(f)??"");c(!0),o(null);try{const f=e==="login"?(await T(it,{input:{email:_("email"),password:_("password")}})).login:(await T(ot,{input:{email:_("email"),username:_("username"),firstName:_("firstName"),lastName:_("lastName"),password:_("password"),passwordConfirm:_("password")}})).signup;gn(f.tokens),n(f.user)}catch(f){o(f instanceof N?f.message:"Something went wrong")}finally{c(!1)}}return l("main",{class:"auth",children:[l("h1",{children:"chatstream"}),l("form",{onSubmit:d,"aria-labelledby":"auth-title",children:[l("h2",{id:"auth-title",children:e==="login"?"Log in":"Sign up"}),l("label",{children:["Email",l("input",{name:"email",type:"email",autocomplete:"email",required:!0})]}),e==="signup"&&l(ne,{children:[l("label",{children:["Username",l("input",{name:"username",autocomplete:"username",required:!0})]}),l("label",{children:["First name",l("input",{name:"firstName",autocomplete:"given-name",required:!0})]}),l("label",{children:["Last name",l("input",{name:"lastName",autocomplete:"family-name",required:!0})]})]}),l("label",{children:["Password",l("input",{name:"password",type:"password",autocomplete:e==="login"?"current-password":"new-password",required:!0})]}),s&&l("p",{class:"error",role:"alert",children:s}),l("button",{type:"submit",disabled:r,children:e==="login"?"Log in":"Sign up"})]}),l("p",{children:[e==="login"?"No account yet? ":"Have an account? ",l("button",{type:"button",class:"link",onClick:()=>t(e==="login"?"signup":"login"),children:e==="login"?"Sign up":"Log in"})]})]})}function Z(n,e){const[t=0,s=0]=n.split("-").map(Number),[o=0,r=0]=e.split("-").map(Number);return t!==o?t-o:s-r}function bt(n,e){return n===null||Z(e,n)>0?e:n}function yn({label:n,exclude:e,onPick:t}){const[s,o]=I(""),[r,c]=I([]);ee(()=>{const u=s.trim();if(!u){c([]);return}let a=!0;const _=setTimeout(()=>{T(ut,{search:u}).then(f=>a&&c(f.users)).catch(()=>a&&c([]))},200);return()=>{a=!1,clearTimeout(_)}},[s]);const d=r.filter(u=>!e.includes(u.id));return l("div",{class:"people",children:[l("label",{children:[n,l("input",{type:"search",value:s,placeholder:"Username or email",onInput:u=>o(u.currentTarget.value)})]}),d.length>0&&l("ul",{"aria-label":"People found",children:d.map(u=>l("li",{children:l("button",{type:"button",onClick:()=>t(u),children:["Add ",u.username," ",l("span",{class:"muted",children:["(",u.fullName,")"]})]})},u.id))})]})}function Mt(n){return[...n.values()].sort((e,t)=>Z(e.id,t.id))}function Ct({me:n,conversationId:e,onClose:t}){var xe;const[s,o]=I(null),[r,c]=I(new Map),[d,u]=I([]),[a,_]=I(!1),[f,i]=I(null),[p,F]=I(new Map),[P,M]=I(null),[$,g]=I(!1),w=Q(null),L=Q(null),R=Q(null),q=Q(!0),j=Q(null),K=Q(0),H=m=>c(h=>{const v=new Map(h);for(const k of m)v.set(k.id,k);return v});ee(()=>{let m=()=>{},h=!0;return(async()=>{var G;const[v,k]=await Promise.all([T(Ge,{id:e}),T(Ke,{conversationId:e,before:null})]);if(!h)return;o(v.conversation??null),L.current=((G=v.conversation)==null?void 0:G.lastReadId)??null,H(k.messages.messages),_(k.messages.hasMore);const J=k.messages.messages.at(-1);w.current=(J==null?void 0:J.id)??"0-0",m=vn(pt,{conversationId:e,get since(){return w.current}},({conversationEvents:E})=>{if(!(!("id"in E)||!E.id)&&!(w.current&&Z(E.id,w.current)<=0))switch(w.current=bt(w.current,E.id),E.__typename){case"MessageAdded":case"MessageEdited":case"MessageDeleted":H([E.message]);break;case"ReadMarkerMoved":F(he=>new Map(he).set(E.user.id,{user:E.user,upTo:E.upTo}));break;case"ParticipantJoined":case"ParticipantLeft":T(Ge,{id:e}).then(he=>o(he.conversation??null));break}},E=>i(E.message))})().catch(v=>i(v instanceof N?v.message:"Could not open the conversation")),()=>{h=!1,m()}},[e]);const D=Mt(r),x=((xe=D.at(-1))==null?void 0:xe.id)??null;ee(()=>{const m=()=>{!x||document.visibilityState!=="visible"||L.current&&Z(x,L.current)<=0||(L.current=x,T(vt,{conversationId:e,upTo:x}).catch(()=>{}))};return m(),document.addEventListener("visibilitychange",m),()=>document.removeEventListener("visibilitychange",m)},[x,e]),Pn(()=>{const m=R.current;m&&(j.current!==null?(m.scrollTop=m.scrollHeight-j.current,j.current=null):q.current&&(m.scrollTop=m.scrollHeight))},[r,d]);async function Ne(){var k;const m=(k=D[0])==null?void 0:k.id;if(!m||!a)return;const h=R.current;j.current=h?h.scrollHeight-h.scrollTop:null;const v=await T(Ke,{conversationId:e,before:m});_(v.messages.hasMore),H(v.messages.messages)}async function Pe(m,h=K.current++){u(v=>[...v.filter(k=>k.key!==h),{key:h,content:m,error:null}]),q.current=!0;try{const v=await T(ft,{conversationId:e,content:m});H([v.sendMessage]),u(k=>k.filter(J=>J.key!==h))}catch(v){const k=v instanceof N&&v.code==="THROTTLED"?`Too many messages: wait ${v.retryAfter??1} s, then retry.`:v instanceof N?v.message:"Not sent.";u(J=>J.map(G=>G.key===h?{...G,error:k}:G))}}const fe=new Map;for(const{user:m,upTo:h}of p.values()){if(m.id===n.id)continue;const v=D.findLast(k=>Z(k.id,h)<=0);v&&fe.set(v.id,[...fe.get(v.id)??[],m.username])}return l("main",{class:"conversation-view","aria-labelledby":"conversation-title",children:[l("div",{class:"conversation-head",children:[l("button",{type:"button",class:"back",onClick:t,children:"Back"}),l("h2",{id:"conversation-title",children:(s==null?void 0:s.name)??"…"}),l("span",{class:"muted",children:s==null?void 0:s.participants.map(m=>m.user.username).join(", ")}),l("button",{type:"button","aria-expanded":$,onClick:()=>g(!$),children:"Add people"})]}),$&&s&&l(yn,{label:"Add someone",exclude:s.participants.map(m=>m.user.id),onPick:m=>void T(mt,{conversationId:e,userId:m.id}).then(h=>o(h.addParticipant)).catch(h=>i(h instanceof N?h.message:"Could not add"))}),f&&l("p",{class:"error",role:"alert",children:f}),l("div",{class:"messages",ref:R,role:"log","aria-label":"Messages",tabIndex:0,onScroll:m=>{const h=m.currentTarget;q.current=h.scrollHeight-h.scrollTop-h.clientHeight<40,h.scrollTop<40&&a&&j.current===null&&Ne()},children:l("ol",{children:[a&&l("li",{class:"older",children:l("button",{type:"button",onClick:()=>void Ne(),children:"Load older messages"})}),D.map(m=>l(At,{message:m,mine:m.sender.id===n.id,editing:P===m.id,seenBy:fe.get(m.id)??[],onEdit:()=>M(m.id),onCancel:()=>M(null),onSave:h=>void T(ht,{conversationId:e,messageId:m.id,content:h}).then(v=>{H([v.editMessage]),M(null)}).catch(v=>i(v instanceof N?v.message:"Not edited")),onDelete:()=>void T(gt,{conversationId:e,messageId:m.id}).then(h=>H([h.deleteMessage])).catch(h=>i(h instanceof N?h.message:"Not deleted"))},m.id)),d.map(m=>l("li",{class:"message mine pending",children:[l("span",{class:"content",children:m.content}),m.error?l("span",{class:"send-error",role:"alert",children:[m.error," ",l("button",{type:"button",onClick:()=>void Pe(m.content,m.key),children:"Retry"})]}):l("span",{class:"muted",children:" Sending…"})]},`pending-${m.key}`))]})}),l(Ut,{onSend:m=>void Pe(m)})]})}function At({message:n,mine:e,editing:t,seenBy:s,onEdit:o,onCancel:r,onSave:c,onDelete:d}){const u=new Date(n.createdAt).toLocaleTimeString([],{hour:"2-digit",minute:"2-digit"});return l("li",{class:e?"message mine":"message","data-id":n.id,children:[l("span",{class:"meta",children:[l("strong",{children:n.sender.username})," ",l("time",{dateTime:n.createdAt,children:u}),n.editedAt&&!n.deleted&&l("span",{class:"muted",children:" (edited)"})]}),t?l("form",{class:"edit",onSubmit:a=>{a.preventDefault();const _=a.currentTarget.elements.namedItem("content");c(_.value)},children:[l("input",{name:"content","aria-label":"Edit message",defaultValue:n.content,ref:a=>a==null?void 0:a.focus(),onKeyDown:a=>a.key==="Escape"&&r()}),l("button",{type:"submit",children:"Save"}),l("button",{type:"button",onClick:r,children:"Cancel"})]}):n.deleted?l("span",{class:"content deleted",children:"Message deleted"}):l("span",{class:"content",children:n.content}),e&&!n.deleted&&!t&&l("span",{class:"actions",children:[l("button",{type:"button",onClick:o,"aria-label":`Edit: ${n.content}`,children:"Edit"}),l("button",{type:"button",onClick:d,"aria-label":`Delete: ${n.content}`,children:"Delete"})]}),s.length>0&&l("span",{class:"seen muted",children:["Seen by ",s.join(", ")]})]})}function Ut({onSend:n}){const[e,t]=I("");return l("form",{class:"composer",onSubmit:s=>{s.preventDefault(),e.trim()&&(n(e),t(""))},children:[l("label",{class:"visually-hidden",for:"composer-input",children:"Message"}),l("input",{id:"composer-input",value:e,autocomplete:"off",placeholder:"Write a message",maxLength:2e3,onInput:s=>t(s.currentTarget.value)}),l("button",{type:"submit",children:"Send"})]})}function Xe(n){var e;return((e=n.lastMessage)==null?void 0:e.createdAt)??n.updatedAt}function Ye(n,e){return[e,...n.filter(s=>s.id!==e.id)].sort((s,o)=>Date.parse(Xe(o))-Date.parse(Xe(s)))}function wt({me:n,openId:e,onOpen:t}){const[s,o]=I(null),[r,c]=I(!1);return ee(()=>{const d=()=>T(dt,{}).then(_=>{o(_.conversations.results),performance.mark("conversation-list-rendered")}),u=vn(ct,{},({inbox:_})=>{_.__typename==="RemovedFromConversation"?o(f=>(f??[]).filter(i=>i.id!==_.conversationId)):_.__typename&&o(f=>Ye(f??[],_.conversation))},()=>{});d().catch(()=>o([]));const a=Ft(()=>void d().catch(()=>{}));return()=>{u(),a()}},[]),l("nav",{class:"inbox","aria-label":"Conversations",children:[l("div",{class:"inbox-head",children:[l("h2",{children:"Conversations"}),l("button",{type:"button","aria-expanded":r,onClick:()=>c(!r),children:"New conversation"})]}),r&&l(kt,{me:n,onCreated:d=>{o(u=>Ye(u??[],d)),c(!1),t(d.id)}}),s===null?l("p",{class:"muted",children:"Loading…"}):s.length===0?l("p",{class:"muted",children:"No conversations yet."}):l("ul",{class:"conversations",children:s.map(d=>l("li",{children:l("button",{type:"button",class:d.id===e?"conversation current":"conversation","aria-current":d.id===e?"true":void 0,onClick:()=>t(d.id),children:[l("span",{class:"name",children:d.name}),d.unreadCount>0&&l("span",{class:"badge","aria-label":`${d.unreadCount} unread`,children:d.unreadCount}),l("span",{class:"last",children:d.lastMessage?d.lastMessage.deleted?"Message deleted":`${d.lastMessage.sender.username}: ${d.lastMessage.content}`:"No messages yet"})]})},d.id))})]})}function kt({me:n,onCreated:e}){const[t,s]=I(""),[o,r]=I([]),[c,d]=I(null);async function u(a){a.preventDefault(),d(null);try{const _=await T(_t,{input:{name:t,participantIds:o.map(f=>f.id)}});e(_.createConversation)}catch(_){d(_ instanceof N?_.message:"Could not create it")}}return l("form",{class:"new-conversation",onSubmit:u,children:[l("label",{children:["Name",l("input",{value:t,required:!0,onInput:a=>s(a.currentTarget.value)})]}),l(yn,{label:"Find people",exclude:[n.id,...o.map(a=>a.id)],onPick:a=>r([...o,a])}),o.length>0&&l("ul",{class:"chips","aria-label":"People to add",children:o.map(a=>l("li",{children:[a.username," ",l("button",{type:"button","aria-label":`Remove ${a.username}`,onClick:()=>r(o.filter(_=>_.id!==a.id)),children:"×"})]},a.id))}),c&&l("p",{class:"error",role:"alert",children:c}),l("button",{type:"submit",children:"Create"})]})}function St(){const[n,e]=I(null),[t,s]=I(Qe()),[o,r]=I(null),[c,d]=I(O.online),[u,a]=I(!1);return ee(()=>{yt(()=>{e(null),r(null)});const _=()=>d(O.online);return O.listeners.add(_),Qe()&&T(lt,{}).then(f=>e(f.me)).catch(f=>{f instanceof N&&f.code==="UNAUTHENTICATED"?Me():a(!0)}).finally(()=>s(!1)),()=>O.listeners.delete(_)},[]),t?l("p",{class:"loading",children:"Loading…"}):u?l("main",{class:"auth",children:[l("p",{role:"alert",children:"The server cannot be reached."}),l("button",{type:"button",onClick:()=>location.reload(),children:"Try again"})]}):n?l("div",{class:o?"shell has-open":"shell",children:[l("header",{class:"top",children:[l("h1",{children:"chatstream"}),l("span",{class:"who",children:["Signed in as ",l("strong",{children:n.username})]}),l("nav",{"aria-label":"Tools",children:[l("a",{href:"/graphql",target:"_blank",rel:"noopener",children:"GraphiQL"}),l("a",{href:"/api/v1/docs",target:"_blank",rel:"noopener",children:"API docs"})]}),l("button",{type:"button",onClick:()=>Me(),children:"Log out"})]}),!c&&l("div",{class:"banner",role:"status",children:"Connection lost: reconnecting…"}),l(wt,{me:n,openId:o,onOpen:r}),o?l(Ct,{me:n,conversationId:o,onClose:()=>r(null)},o):l("main",{class:"empty",children:l("p",{children:"Pick a conversation, or start one."})})]}):l($t,{onSignedIn:e})}const Ze=document.getElementById("app");Ze&&Dn(l(St,{}),Ze);
